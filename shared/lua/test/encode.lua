-- Lua values -> JSON text in the tagged form golden.ts reads (typed arrays {"$u8":[..]},
-- {"$u32":[..]}, NaN/Infinity {"$n":..}, functions {"$fn":1}, an empty table {"$empty":1}, as
-- Lua cannot tell [] from {}). Strings: bytes 0x7f-0xff and controls as \u00XX, so the text is
-- ASCII. Numbers as JavaScript writes them. Usage: local e = encode(core); e.enc(value).
return function(core)
  local rt = core._runtime
  local Uint8Array, Uint32Array, ArrayBuffer = rt.Uint8Array, rt.Uint32Array, rt.ArrayBuffer
  local numstr = rt.numstr
  local function quote(s)
    return '"' .. string.gsub(s, '[%c"\\\128-\255]', function(ch)
      if ch == '"' then return '\\"' end
      if ch == "\\" then return "\\\\" end
      return string.format("\\u%04x", string.byte(ch))
    end) .. '"'
  end

  local enc
  local function encList(t, n, depth, seen)
    local parts = {}
    for i = 1, n do parts[i] = enc(t[i], depth + 1, seen) end
    return "[" .. table.concat(parts, ",") .. "]"
  end

  function enc(v, depth, seen)
    depth = depth or 0
    local t = type(v)
    if v == nil then return '{"$u":1}' end
    if t == "boolean" then return v and "true" or "false" end
    if t == "number" then
      if v ~= v then return '{"$n":"NaN"}' end
      if v == 1 / 0 then return '{"$n":"Infinity"}' end
      if v == -1 / 0 then return '{"$n":"-Infinity"}' end
      return numstr(v)
    end
    if t == "string" then return quote(v) end
    if t == "function" then return '{"$fn":1}' end
    if t ~= "table" then return '"<' .. t .. '>"' end
    if depth > 60 then return '"<too deep>"' end
    seen = seen or {}
    if seen[v] then return '"<cycle>"' end
    seen[v] = true
    local out
    local c = v.constructor
    if c == Uint8Array or c == Uint32Array then
      local parts = {}
      for i = 0, v.length - 1 do parts[i + 1] = numstr(v[i]) end
      out = '{"' .. (c == Uint8Array and "$u8" or "$u32") .. '":[' .. table.concat(parts, ",") .. "]}"
    elseif getmetatable(v) ~= nil and c == ArrayBuffer then
      local view = Uint8Array.new(v)
      local parts = {}
      for i = 0, view.length - 1 do parts[i + 1] = numstr(view[i]) end
      out = '{"$ab":[' .. table.concat(parts, ",") .. "]}"
    else
      local n, count = #v, 0
      for _ in pairs(v) do count = count + 1 end
      if count == 0 then
        out = '{"$empty":1}'
      elseif n > 0 and count == n then
        out = encList(v, n, depth, seen)
      else
        local keys = {}
        for k in pairs(v) do keys[#keys + 1] = k end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        local parts = {}
        for _, k in ipairs(keys) do
          parts[#parts + 1] = quote(type(k) == "number" and numstr(k) or tostring(k)) .. ":" .. enc(v[k], depth + 1, seen)
        end
        out = "{" .. table.concat(parts, ",") .. "}"
      end
    end
    seen[v] = nil
    return out
  end

  return { enc = enc, list = encList, quote = quote }
end
