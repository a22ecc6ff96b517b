-- An example Lua host of the fobgate core (docs/lua.md): one machine's unit logic in ~100 lines.
-- It takes a signed list text, Wiegand frames and the oops button, decides with the shared core
-- and hands the outputs (relays, LCD text, LEDs) to the host's `apply` function. Nothing here is
-- NodeMCU-specific except the digest it prefers; a host wires `apply` to its GPIO/LCD drivers.
--
--   local core = dofile("fobgate_core.lua")
--   local unit = dofile("unit.lua")(core, { machine = "lathe", key = UNIT_KEY, apply = drive, now = now_ms })
--   unit.load_list(text, signature)        -- from the server (sync answer or list download)
--   unit.frame(bits, count)                -- a Wiegand frame: {1,0,1,...}, 26 or 34
--   unit.card_removed() / unit.oops()
return function(core, opts)
  -- The digest: NodeMCU's crypto module when there is one, else the core's pure-Lua SHA-256.
  local raw_sha256
  if type(crypto) == "table" and type(crypto.hash) == "function" then
    raw_sha256 = function(data) return crypto.hash("sha256", data) end
  else
    raw_sha256 = core.pureSha256
  end
  local sha256_hex = core.sha256HexWith(raw_sha256)
  local hmac = core.makeHmacSha256(raw_sha256)

  local unit = { list = nil, state = core.initialState(), last_sync = nil }
  local now = opts.now or function() return 0 end

  local function run(event, subject)
    local d = core.decide(unit.list.machine, unit.state, event, subject, {
      now = now(),
      list_stale = opts.stale ~= nil and opts.stale() or false,
    })
    unit.state = d.state
    opts.apply(d.outputs, d.log)
    return d
  end

  --- A signed list text from the server: verified, decoded and kept when it is newer. Returns
  --- true, or nil and the core's error ({code=..., message=...}).
  function unit.load_list(text, signature)
    local v = core.verifyText(text, signature, opts.key, hmac)
    if not v.ok then return nil, v.error end
    local r = core.decodeList(text, sha256_hex)
    if not r.ok then return nil, r.error end
    local m = core.checkMachine(r.value, opts.machine)
    if not m.ok then return nil, m.error end
    local held = unit.list
    local n = core.checkNewer(held and held.version or nil, r.value, held and held.digest or nil)
    if not n.ok then return nil, n.error end
    if n.value == "newer" then
      local first = unit.list == nil
      unit.list = r.value
      if first then run({ type = "reboot" }, nil) else run({ type = "config_changed" }, nil) end
    end
    return true
  end

  --- A Wiegand frame from the reader (bits first-received first).
  function unit.frame(bits, count)
    if unit.list == nil then return nil, { code = "NO_LIST", message = "no authorization list yet" } end
    local w = core.decodeWiegand(bits, count)
    if not w.ok then return nil, w.error end -- a misread: ignore it, the member presents the fob again
    local fob = core.numberToFob(w.value.card)
    return run({ type = "card_inserted", fob = fob }, core.subjectForFob(unit.list, w.value.card))
  end

  local function holder()
    local rfid = unit.state.rfid
    if rfid == nil then return nil end
    local n = core.fobToNumber(rfid)
    return n.ok and core.subjectForFob(unit.list, n.value) or nil
  end

  function unit.card_removed()
    return run({ type = "card_removed" }, holder())
  end

  function unit.oops()
    return run({ type = "oops_pressed" }, holder())
  end

  return unit
end
