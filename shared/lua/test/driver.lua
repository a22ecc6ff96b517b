-- Replays recorded golden vectors (record/recorder.mjs, prepared by golden.ts) on the compiled
-- core, in order, and writes one JSON line per vector:
--   {"id":..,"ok":..,"result":..,"after":[..],"problems":[..]}
-- Inputs (FRAMES, see lua-hosts.ts): core = fobgate_core.lua, encode = encode.lua; vectors = one Lua chunk per line,
--   return {id=..,fn=name|{new=class}|{ret=r[,method=m]},args={..},ret=r?,after=true?,cb={["<id>"]={calls}}}
-- where cb holds what each function handed to the call returned in TypeScript, call by call.
-- golden.ts compares the lines with TypeScript's results.
local load_ = loadstring or load
local unpack_ = unpack or table.unpack
local core = assert(load_(FRAMES.core, "=fobgate_core.lua"))()
local rt = core._runtime
local JSON = rt.JSON
local Uint8Array, Uint32Array, ArrayBuffer = rt.Uint8Array, rt.Uint32Array, rt.ArrayBuffer
local numstr = rt.numstr

local CURRENT = -1
local CB = {} -- the running vector's callback logs, by callback id
local called = {} -- calls made so far in the running vector, by callback id
local RET = {}
local problems = nil

local function problem(msg)
  if problems ~= nil and #problems < 5 then problems[#problems + 1] = msg end
end

-- ------------------------------------------------------------------ recorded JSON -> Lua values

local NAN = 0 / 0
local NUMS = { NaN = NAN, Infinity = 1 / 0, ["-Infinity"] = -1 / 0 }
local stubs = {}
local dec

local function stub(id, method)
  local key = id .. (method and "m" or "f")
  if stubs[key] then return stubs[key] end
  local f = function(...)
    local n = select("#", ...)
    local args = { ... }
    local first = method and 2 or 1
    local log = CB[numstr(id)]
    local i = (called[id] or 0) + 1
    called[id] = i
    local e = log and log[i]
    if e == nil then
      problem("callback " .. id .. " was called " .. i .. " times; TypeScript called it " .. (log and #log or 0) .. " times")
      return nil
    end
    if e.args then
      local want = e.args
      local count = math.max(#want, n - first + 1)
      for j = 1, count do
        local w = want[j] and dec(want[j]) or nil
        local same, where = rt.same(w, args[first + j - 1])
        if not same then
          problem("callback " .. id .. " call " .. i .. ": argument " .. j .. " differs from TypeScript's" .. where)
          break
        end
      end
    end
    if e.after then
      -- do to the arguments what the TypeScript function did (e.g. fill a typed array)
      for j, a in ipairs(e.after) do
        local target = args[first + j - 1]
        if type(target) == "table" then
          local v = dec(a)
          if type(v) == "table" and v.length ~= nil and target.length ~= nil then
            for k = 0, v.length - 1 do target[k] = v[k] end
          elseif type(v) == "table" then
            for k, x in pairs(v) do target[k] = x end
          end
        end
      end
    end
    if e.threw then error(e.threw, 0) end
    return dec(e.result)
  end
  stubs[key] = f
  return f
end

function dec(v)
  if type(v) ~= "table" then return v end
  if v["$null"] or v["$u"] then return nil end
  if v["$n"] then return NUMS[v["$n"]] end
  if v["$u8"] then return Uint8Array.new(v["$u8"]) end
  if v["$u32"] then return Uint32Array.new(v["$u32"]) end
  if v["$ab"] then
    local b = ArrayBuffer.new(#v["$ab"])
    local view = Uint8Array.new(b)
    for i, x in ipairs(v["$ab"]) do view[i - 1] = x end
    return b
  end
  if v["$fn"] then return stub(v["$fn"], v.m) end
  if v["$export"] then return core[v["$export"]] end
  if v["$ret"] then return RET[v["$ret"]] end
  local out = {}
  local n = #v
  if n > 0 then
    -- a JavaScript array: a Lua array cannot hold nil, so null and undefined elements are left out
    local m = 0
    for i = 1, n do
      local x = dec(v[i])
      if x ~= nil then
        m = m + 1
        out[m] = x
      end
    end
    return out
  end
  for k, x in pairs(v) do out[k] = dec(x) end
  return out
end

-- deep equality of a recorded value (decoded) and a Lua value, for callback arguments
local function same(a, b, path, depth)
  path = path or ""
  depth = depth or 0
  if a == b then return true, "" end
  if type(a) == "number" and type(b) == "number" and a ~= a and b ~= b then return true, "" end
  if type(a) ~= "table" or type(b) ~= "table" or depth > 40 then
    return false, " at " .. (path == "" and "the value" or path)
  end
  local ta, tb = a.length ~= nil and a.constructor ~= nil, b.length ~= nil and b.constructor ~= nil
  if ta or tb then
    if not (ta and tb) or a.length ~= b.length then return false, " at " .. path .. " (typed array)" end
    for i = 0, a.length - 1 do
      if a[i] ~= b[i] then return false, " at " .. path .. "[" .. i .. "]" end
    end
    return true, ""
  end
  for k, x in pairs(a) do
    local ok, where = same(x, b[k], path .. "." .. tostring(k), depth + 1)
    if not ok then return false, where end
  end
  for k, x in pairs(b) do
    if a[k] == nil and type(x) ~= "function" then return false, " at " .. path .. "." .. tostring(k) .. " (extra)" end
  end
  return true, ""
end
rt.same = same

-- ------------------------------------------------------------------ Lua values -> JSON

local encode = assert(load_(FRAMES.encode, "=encode.lua"))()(core)
local enc, encList, quote = encode.enc, encode.list, encode.quote

-- ------------------------------------------------------------------ the replay

local write = io.write
local text = FRAMES.vectors
local pos = 1
while pos <= #text do
  local nl = string.find(text, "\n", pos, true) or (#text + 1)
  local call = assert(load_(string.sub(text, pos, nl - 1), "=vector"))()
  pos = nl + 1
  CURRENT = call.id
  CB = call.cb or {}
  called = {}
  problems = {}
  local fn = call.fn
  local f, self = nil, nil
  if type(fn) == "string" then
    f = core[fn]
  elseif fn.new then
    -- `new Class(...)` as tstl compiles it: an instance of the prototype, then its constructor
    local cls = core[fn.new]
    if type(cls) == "table" and cls.prototype then
      f = function(...)
        local obj = setmetatable({}, cls.prototype)
        obj:____constructor(...)
        return obj
      end
    end
  elseif fn.method then
    self = RET[fn.ret]
    f = self and self[fn.method]
  else
    f = RET[fn.ret]
  end
  local line
  if f == nil then
    line = '{"id":' .. numstr(call.id) .. ',"ok":false,"error":"no such function in the Lua core"}'
  else
    local raw = call.args
    local n = #raw
    local args = {}
    for i = 1, n do args[i] = dec(raw[i]) end
    local ok, result
    if self ~= nil then
      ok, result = pcall(f, self, unpack_(args, 1, n))
    else
      ok, result = pcall(f, unpack_(args, 1, n))
    end
    if ok and call.ret then RET[call.ret] = result end
    for id, log in pairs(CB) do
      local got = called[tonumber(id)] or 0
      if got < #log then problem("callback " .. id .. " was called " .. got .. " times; TypeScript called it " .. #log .. " times") end
    end
    local parts = { '{"id":', numstr(call.id), ',"ok":', ok and "true" or "false" }
    if ok then
      parts[#parts + 1] = ',"result":' .. (call.ret and '{"$ret":' .. numstr(call.ret) .. "}" or enc(result))
      if call.after then parts[#parts + 1] = ',"after":' .. encList(args, n, 0) end
    else
      parts[#parts + 1] = ',"error":' .. quote(tostring(result))
    end
    if #problems > 0 then
      local ps = {}
      for i, p in ipairs(problems) do ps[i] = quote(p) end
      parts[#parts + 1] = ',"problems":[' .. table.concat(ps, ",") .. "]"
    end
    parts[#parts + 1] = "}"
    line = table.concat(parts)
  end
  write(line, "\n")
end
