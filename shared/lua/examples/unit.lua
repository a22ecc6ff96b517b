-- An example Lua host of the fobgate core (docs/lua.md): one machine's unit logic in ~130 lines.
-- It takes signed lists (format 2) and deltas, Wiegand frames and the oops button, decides with
-- the shared core and hands the outputs (relays, LCD text, LEDs) to the host's `apply` function.
-- Nothing here is NodeMCU-specific except the digest it prefers; a host wires `apply` to its
-- GPIO/LCD drivers.
--
--   local core = dofile("fobgate_core.lua")
--   local unit = dofile("unit.lua")(core, { machine = "lathe", key = UNIT_KEY, apply = drive, now = now_ms })
--   unit.load_list(text, signature)        -- a whole list from the server (download or inline)
--   unit.apply_delta(delta, signature)     -- a delta (one string, or a table of chunks as they
--                                          -- arrived) and the signature of the list it leads to
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

  -- unit.list: the list in force, as the core's AuthList (its text is the whole list file, one
  -- Lua string of 21 bytes per member; lookups search it in place)
  local unit = { list = nil, state = core.initialState() }
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

  -- A checked list (digest already verified): for this machine, not older than the held one.
  local function adopt(list)
    local m = core.checkMachine(list, opts.machine)
    if not m.ok then return nil, m.error end
    local held = unit.list
    local n = core.checkNewer(held and held.version or nil, list, held and held.digest or nil)
    if not n.ok then return nil, n.error end
    if n.value == "newer" then
      unit.list = list
      if held == nil then run({ type = "reboot" }, nil) else run({ type = "config_changed" }, nil) end
    end
    return true
  end

  --- A whole list file and its signature (HMAC of line 1 with the unit key). Returns true, or
  --- nil and the core's error ({code=..., message=...}): LIST_MALFORMED, LIST_SIGNATURE,
  --- LIST_DIGEST (content altered), LIST_WRONG_MACHINE, LIST_ROLLBACK.
  function unit.load_list(text, signature)
    local r = core.verifyList(text, signature, opts.key, hmac, sha256_hex)
    if not r.ok then return nil, r.error end
    return adopt(r.value)
  end

  --- A delta onto the held list, merged as its chunks come (core.newDeltaMerge), and the
  --- signature of the list it must produce: the result's digest is computed here, so a tampered
  --- delta fails the signature (LIST_SIGNATURE); a delta for another base is DELTA_WRONG_BASE,
  --- one leading backwards LIST_ROLLBACK, a damaged one DELTA_MALFORMED.
  function unit.apply_delta(delta, signature)
    if unit.list == nil then return nil, { code = "NO_LIST", message = "no list to apply a delta to" } end
    local parts = {}
    local merge = core.newDeltaMerge(unit.list, {
      begin = function(_, bytes) return true end,
      write = function(_, piece) parts[#parts + 1] = piece; return true end,
    })
    local chunks = type(delta) == "table" and delta or { delta }
    for _, chunk in ipairs(chunks) do
      if not merge:feed(chunk) then break end
    end
    local h = merge:finish()
    if not h.ok then return nil, h.error end
    local body = table.concat(parts)
    parts = nil
    local digest = core.bodyDigest(body, sha256_hex)
    local s = core.checkSignature(digest, signature, opts.key, hmac)
    if not s.ok then return nil, s.error end
    local r = core.openList(core.line1Of(digest) .. "\n" .. body)
    if not r.ok then return nil, r.error end
    return adopt(r.value)
  end

  --- The subject for a card number, or nil when the fob is not on the list.
  function unit.lookup(card)
    return core.subjectForFob(unit.list, card)
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
