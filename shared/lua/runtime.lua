-- fobgate Lua runtime: the few JavaScript built-ins the compiled shared core relies on, written
-- for Lua 5.1 (NodeMCU's default) and correct on 5.2-5.4 and LuaJIT. It is placed before the
-- compiled modules in fobgate_core.lua, so every name here is a local of that file (nothing is
-- added to the host's globals). See docs/lua.md.
--
--   __fg          helpers the build plugin calls: truthy (JavaScript truthiness), the 32-bit
--                 bitwise operators band/bor/bxor/bnot/lshift/arshift/rshift, numstr
--   tostring      numbers printed as JavaScript prints them ("12", not "12.0"; exact to 2^53)
--   Uint8Array, Uint32Array, ArrayBuffer   typed arrays (elements at keys 0..length-1)
--   JSON          JSON:parse, strict as JavaScript's
local __fg = {}
local floor = math.floor
local lua_tostring = tostring
local lua_tonumber = tonumber
local sformat = string.format
local schar = string.char
local sbyte = string.byte
local ssub = string.sub
local TWO32 = 4294967296
local TWO31 = 2147483648
local INF = 1 / 0
__fg.version = _VERSION

-- ------------------------------------------------------------------------------------------
-- numbers as text

--- A number as JavaScript's String(n) writes it: whole numbers below 2^53 digit for digit,
--- others with the fewest significant digits that read back to the same number.
local function numstr(n)
  if n ~= n then return "NaN" end
  if n == INF then return "Infinity" end
  if n == -INF then return "-Infinity" end
  if n == 0 then return "0" end
  if n == floor(n) and n < 9007199254740992 and n > -9007199254740992 then return sformat("%.0f", n) end
  local s
  for p = 1, 17 do
    s = sformat("%." .. (p - 1) .. "e", n)
    if lua_tonumber(s) == n then break end
  end
  local sign, mant, ex = string.match(s, "^(-?)([%d%.]+)e([-+]%d+)$")
  local digits = string.gsub(mant, "%.", "")
  digits = string.gsub(digits, "0+$", "")
  if digits == "" then digits = "0" end
  local k = #digits
  local e = lua_tonumber(ex) + 1
  if k <= e and e <= 21 then return sign .. digits .. string.rep("0", e - k) end
  if 0 < e and e <= 21 then return sign .. ssub(digits, 1, e) .. "." .. ssub(digits, e + 1) end
  if -6 < e and e <= 0 then return sign .. "0." .. string.rep("0", -e) .. digits end
  local e1 = e - 1
  local es = e1 < 0 and ("-" .. sformat("%d", -e1)) or ("+" .. sformat("%d", e1))
  return sign .. ssub(digits, 1, 1) .. (k > 1 and ("." .. ssub(digits, 2)) or "") .. "e" .. es
end
__fg.numstr = numstr

--- tostring with JavaScript's number text (the compiled code writes String(x) and "a" + x with it).
local function tostring(v)
  if type(v) == "number" then return numstr(v) end
  return lua_tostring(v)
end

-- ------------------------------------------------------------------------------------------
-- truthiness

--- JavaScript truthiness: false for nil, false, 0, NaN and "" (Lua treats only nil and false so).
function __fg.truthy(v)
  return v ~= nil and v ~= false and v ~= 0 and v ~= "" and v == v
end

-- ------------------------------------------------------------------------------------------
-- 32-bit bitwise operators with JavaScript's results, by arithmetic (exact in doubles)

local function tonum(x)
  if type(x) == "number" then return x end
  return lua_tonumber(x) or 0
end

--- ToUint32: the number modulo 2^32, in [0, 2^32).
local function u32(x)
  x = tonum(x)
  if x ~= x or x == INF or x == -INF then return 0 end
  if x >= 0 and x < TWO32 and x == floor(x) then return x end
  if x >= 0 then x = floor(x) else x = -floor(-x) end
  return x % TWO32
end

--- ToInt32: the number modulo 2^32, in [-2^31, 2^31).
local function i32(x)
  x = u32(x)
  if x >= TWO31 then return x - TWO32 end
  return x
end
__fg.u32 = u32
__fg.i32 = i32

local POW2 = {}
for s = 0, 32 do POW2[s] = 2 ^ s end
--- MASK[m] is true when m = 2^k - 1 (k = 0..32): `x & m` is then `x % 2^k`.
local MASK = {}
for s = 0, 32 do MASK[POW2[s] - 1] = true end

-- 4-bit tables for the general case: T[x * 16 + y] for nibbles x, y.
local AND4, OR4, XOR4 = {}, {}, {}
for x = 0, 15 do
  for y = 0, 15 do
    local a, o, e, p, xx, yy = 0, 0, 0, 1, x, y
    for _ = 1, 4 do
      local bx, by = xx % 2, yy % 2
      if bx == 1 and by == 1 then a = a + p end
      if bx == 1 or by == 1 then o = o + p end
      if bx ~= by then e = e + p end
      xx, yy, p = (xx - bx) / 2, (yy - by) / 2, p * 2
    end
    AND4[x * 16 + y], OR4[x * 16 + y], XOR4[x * 16 + y] = a, o, e
  end
end

--- A bitwise operation on two values in [0, 2^32), nibble by nibble.
local function nibbles(T, a, b)
  local r, p = 0, 1
  while a > 0 or b > 0 do
    local x, y = a % 16, b % 16
    r = r + T[x * 16 + y] * p
    a, b, p = (a - x) / 16, (b - y) / 16, p * 16
  end
  return r
end

local pure = {
  band = function(a, b) return nibbles(AND4, a, b) end,
  bor = function(a, b) return nibbles(OR4, a, b) end,
  bxor = function(a, b) return nibbles(XOR4, a, b) end,
}
__fg.pure = pure

-- A native bit library when the host has one (operands given as it wants them, results brought
-- back to 32-bit with i32/u32): LuaJIT's and NodeMCU's `bit`, Lua 5.2's `bit32`, or 5.3+'s
-- own operators. Lua 5.1 without one uses the arithmetic above.
local native = nil
local native_signed = false
if type(bit32) == "table" and type(bit32.band) == "function" then
  native = { band = bit32.band, bor = bit32.bor, bxor = bit32.bxor }
  __fg.native = "bit32"
elseif type(bit) == "table" and type(bit.band) == "function" and type(bit.bor) == "function" and type(bit.bxor) == "function" then
  native = { band = bit.band, bor = bit.bor, bxor = bit.bxor }
  native_signed = true
  __fg.native = "bit"
elseif math.type ~= nil and type(load) == "function" then
  local chunk = load("return function(a, b) return a & b end, function(a, b) return a | b end, function(a, b) return a ~ b end")
  if chunk then
    local ok, band, bor, bxor = pcall(chunk)
    if ok then
      native = { band = band, bor = bor, bxor = bxor }
      __fg.native = "operators"
    end
  end
end
__fg.native = __fg.native or "none"
local ops = native or pure

local frexp = math.frexp

--- Do a and b (in [0, 2^32)) share no set bit, seen cheaply? True when the smaller one lies wholly
--- below the lowest set bit of the larger (as in packing fields: (a << 12) | b): then a | b and
--- a ^ b are a + b. False means "not seen", not "they overlap".
local function disjoint(a, b)
  if frexp == nil then return false end
  if a < b then a, b = b, a end
  local _, e = frexp(b)
  return a % POW2[e] == 0
end

local function general(name, a, b)
  if name ~= "band" and disjoint(a, b) then return i32(a + b) end
  if native ~= nil then
    if native_signed then return i32(ops[name](i32(a), i32(b))) end
    return i32(ops[name](a, b))
  end
  return i32(pure[name](a, b))
end

--- a & b
function __fg.band(a, b)
  a, b = u32(a), u32(b)
  if MASK[b] then
    if b == 4294967295 then return i32(a) end
    return a % (b + 1)
  end
  if MASK[a] then
    if a == 4294967295 then return i32(b) end
    return b % (a + 1)
  end
  return general("band", a, b)
end

--- a | b
function __fg.bor(a, b)
  a, b = u32(a), u32(b)
  if a == 0 then return i32(b) end
  if b == 0 then return i32(a) end
  return general("bor", a, b)
end

--- a ^ b
function __fg.bxor(a, b)
  a, b = u32(a), u32(b)
  if a == 0 then return i32(b) end
  if b == 0 then return i32(a) end
  return general("bxor", a, b)
end

--- ~a
function __fg.bnot(a)
  return i32(4294967295 - u32(a))
end

--- a << n
function __fg.lshift(a, n)
  return i32(u32(a) * POW2[u32(n) % 32])
end

--- a >> n (sign-propagating)
function __fg.arshift(a, n)
  return floor(i32(a) / POW2[u32(n) % 32])
end

--- a >>> n (zero-fill; the result is unsigned)
function __fg.rshift(a, n)
  return floor(u32(a) / POW2[u32(n) % 32])
end

-- ------------------------------------------------------------------------------------------
-- typed arrays: elements at integer keys 0..length-1 of the array table itself (plain table
-- reads and writes in the compiled code), methods and properties on its class. A view
-- (subarray, or an array over another's buffer) reads and writes through to the array it views.

--- A class laid out as the compiled code expects (instanceof follows `constructor`).
local function class(name)
  local c = { prototype = {}, name = name }
  c.prototype.constructor = c
  return c
end

local ArrayBuffer = class("ArrayBuffer")
local Uint8Array = class("Uint8Array")
local Uint32Array = class("Uint32Array")
Uint8Array.BYTES_PER_ELEMENT = 1
Uint32Array.BYTES_PER_ELEMENT = 4
Uint8Array.prototype.BYTES_PER_ELEMENT = 1
Uint32Array.prototype.BYTES_PER_ELEMENT = 4

local function isTyped(x)
  if type(x) ~= "table" then return false end
  local c = x.constructor
  return c == Uint8Array or c == Uint32Array
end

--- A value as an element of the class stores it (JavaScript's conversion: modulo 2^8 or 2^32).
local function element(cls, v)
  v = u32(v)
  if cls == Uint8Array then return v % 256 end
  return v
end

-- The storage behind an array: itself, or for a view the array it views.
local function storageOf(t)
  return rawget(t, "____base") or t
end

local function getter(cls)
  local proto = cls.prototype
  return function(t, k)
    local v = proto[k]
    if v ~= nil then return v end
    local base = rawget(t, "____base")
    if base ~= nil and type(k) == "number" then
      if k < 0 or k >= rawget(t, "length") or k ~= floor(k) then return nil end
      local read = rawget(t, "____read")
      if read ~= nil then return read(t, k) end
      return base[rawget(t, "____off") + k]
    end
    if k == "buffer" then
      local b = setmetatable({ ____owner = storageOf(t) }, ArrayBuffer.mt)
      b.byteLength = b.____owner.byteLength
      return b
    end
    return nil
  end
end

local function setter(cls)
  return function(t, k, v)
    local base = rawget(t, "____base")
    if base ~= nil and type(k) == "number" then
      if k < 0 or k >= rawget(t, "length") or k ~= floor(k) then return end
      local write = rawget(t, "____write")
      if write ~= nil then return write(t, k, v) end
      base[rawget(t, "____off") + k] = element(cls, v)
      return
    end
    rawset(t, k, v)
  end
end

Uint8Array.mt = { __index = getter(Uint8Array) }
Uint32Array.mt = { __index = getter(Uint32Array) }
Uint8Array.viewmt = { __index = Uint8Array.mt.__index, __newindex = setter(Uint8Array) }
Uint32Array.viewmt = { __index = Uint32Array.mt.__index, __newindex = setter(Uint32Array) }
ArrayBuffer.mt = { __index = ArrayBuffer.prototype }

-- Byte i of a view over an array of 4-byte elements, and element i over an array of bytes:
-- this runtime lays multi-byte elements out big-endian (the core then takes its portable,
-- byte-order-free path).
local function readByteOfWords(t, k)
  local b = rawget(t, "____boff") + k
  local w = rawget(t, "____base")[floor(b / 4)] or 0
  return floor(w / POW2[8 * (3 - b % 4)]) % 256
end
local function writeByteOfWords(t, k, v)
  local b = rawget(t, "____boff") + k
  local base = rawget(t, "____base")
  local i = floor(b / 4)
  local place = POW2[8 * (3 - b % 4)]
  local w = base[i] or 0
  local old = floor(w / place) % 256
  base[i] = w + (u32(v) % 256 - old) * place
end
local function readWordOfBytes(t, k)
  local base, b = rawget(t, "____base"), rawget(t, "____boff") + 4 * k
  return (base[b] or 0) * 16777216 + (base[b + 1] or 0) * 65536 + (base[b + 2] or 0) * 256 + (base[b + 3] or 0)
end
local function writeWordOfBytes(t, k, v)
  local base, b = rawget(t, "____base"), rawget(t, "____boff") + 4 * k
  v = u32(v)
  base[b] = floor(v / 16777216) % 256
  base[b + 1] = floor(v / 65536) % 256
  base[b + 2] = floor(v / 256) % 256
  base[b + 3] = v % 256
end

local loadstr = loadstring or load

--- A table with keys 0..n-1 set to 0 and the three size fields, its array part sized once (a
--- table constructor preallocates; filling a table key by key grows it by doubling, up to 2x).
local function allocate(n)
  if n >= 32 and loadstr ~= nil then
    local ok, f = pcall(loadstr, "return {[0]=0,length=0,byteLength=0,byteOffset=0," .. string.rep("0,", n - 1) .. "}")
    if ok and f then return f() end
  end
  local t = { length = 0, byteLength = 0, byteOffset = 0 }
  for i = 0, n - 1 do t[i] = 0 end
  return t
end

--- Uint8Array.new(n | array | typedArray | buffer[, byteOffset[, length]]) (what `new Uint8Array(...)`
--- compiles to), likewise Uint32Array.
local function construct(cls, a, byteOffset, len)
  local size = cls.BYTES_PER_ELEMENT
  if type(a) == "table" and getmetatable(a) == ArrayBuffer.mt then
    -- a view over a buffer
    local owner = a.____owner
    local osize = owner.BYTES_PER_ELEMENT
    local boff = (byteOffset or 0) + (rawget(owner, "byteOffset") or 0)
    local n = len or floor((owner.byteLength - (byteOffset or 0)) / size)
    if osize == size and boff % size ~= 0 then
      error("RangeError: start offset of " .. cls.name .. " should be a multiple of " .. size, 0)
    end
    local self = { length = n, byteLength = n * size, byteOffset = byteOffset or 0, ____base = storageOf(owner) }
    if osize == size then
      self.____off = boff / size
    elseif size == 1 then
      self.____boff, self.____read, self.____write = boff, readByteOfWords, writeByteOfWords
    else
      self.____boff, self.____read, self.____write = boff, readWordOfBytes, writeWordOfBytes
    end
    return setmetatable(self, cls.viewmt)
  end
  local n, src, first = 0, nil, 0
  if type(a) == "number" or a == nil then
    n = floor(tonum(a))
    if n < 0 or n ~= n then error("RangeError: invalid typed array length: " .. numstr(n), 0) end
  elseif isTyped(a) then
    n, src = a.length, a
  else
    -- a Lua array (what the compiled code makes of a JavaScript array): elements at 1..n
    n, src, first = #a, a, 1
  end
  local self = allocate(n)
  self.length, self.byteLength = n, n * size
  if src ~= nil then
    for i = 0, n - 1 do self[i] = element(cls, src[first + i]) end
  end
  return setmetatable(self, cls.mt)
end

--- target.set(source[, offset]): copy a typed array or a Lua array (1..n) into this one.
local function set(self, src, offset)
  offset = offset or 0
  local cls = self.constructor
  local n, first = 0, 0
  if isTyped(src) then n = src.length else n, first = #src, 1 end
  if offset < 0 or offset + n > self.length then error("RangeError: offset is out of bounds", 0) end
  local sbase, soff = rawget(src, "____base"), rawget(src, "____off")
  if rawget(self, "____base") == nil and sbase ~= self and src ~= self then
    if sbase ~= nil and soff ~= nil and src.constructor == cls then
      -- the common case: a run of another array of the same kind (subarray), read directly
      for i = 0, n - 1 do self[offset + i] = sbase[soff + i] end
    else
      for i = 0, n - 1 do self[offset + i] = element(cls, src[first + i]) end
    end
    return
  end
  -- views, possibly of the same storage: copy out first, as JavaScript does
  local tmp = {}
  for i = 0, n - 1 do tmp[i] = src[first + i] end
  for i = 0, n - 1 do self[offset + i] = element(cls, tmp[i]) end
end

--- subarray(begin[, end]): a view of elements [begin, end) sharing this array's storage.
local function subarray(self, b, e)
  local n = self.length
  b = b or 0
  e = e or n
  if b < 0 then b = math.max(n + b, 0) elseif b > n then b = n end
  if e < 0 then e = math.max(n + e, 0) elseif e > n then e = n end
  if e < b then e = b end
  local cls = self.constructor
  local size = cls.BYTES_PER_ELEMENT
  local v = { length = e - b, byteLength = (e - b) * size, byteOffset = (rawget(self, "byteOffset") or 0) + b * size }
  local base = rawget(self, "____base")
  if base == nil then
    v.____base, v.____off = self, b
  elseif rawget(self, "____read") ~= nil then
    v.____base, v.____boff = base, rawget(self, "____boff") + b * size
    v.____read, v.____write = rawget(self, "____read"), rawget(self, "____write")
  else
    v.____base, v.____off = base, rawget(self, "____off") + b
  end
  return setmetatable(v, cls.viewmt)
end

--- slice(begin[, end]): a copy of elements [begin, end).
local function slice(self, b, e)
  return construct(self.constructor, subarray(self, b, e))
end

for _, cls in ipairs({ Uint8Array, Uint32Array }) do
  local c = cls
  c.prototype.set = set
  c.prototype.subarray = subarray
  c.prototype.slice = slice
  c.new = function(a, byteOffset, len) return construct(c, a, byteOffset, len) end
end

ArrayBuffer.new = function(n)
  local owner = Uint8Array.new(n)
  return setmetatable({ ____owner = owner, byteLength = owner.byteLength }, ArrayBuffer.mt)
end

--- x[i] of a value whose layout is known only now: a JavaScript array (a Lua array from 1), a
--- typed array (from 0) or a string (one character).
function __fg.at(x, i)
  local t = type(x)
  if t == "table" then
    if isTyped(x) then return x[i] end
    return x[i + 1]
  end
  if t == "string" then
    if i >= 0 and i < #x and i == floor(i) then return ssub(x, i + 1, i + 1) end
  end
  return nil
end

--- x.length of a value whose kind is known only now (nil where JavaScript gives undefined).
function __fg.len(x)
  local t = type(x)
  if t == "string" then return #x end
  if t ~= "table" then return nil end
  if isTyped(x) then return x.length end
  local l = rawget(x, "length")
  if l ~= nil then return l end
  if x[1] ~= nil or next(x) == nil then return #x end
  return nil
end

-- ------------------------------------------------------------------------------------------
-- JSON

local JSON = {}

local ESC = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

--- Code point -> bytes: 0..255 as one byte (strings are 8-bit, as on the unit), above as UTF-8.
local function codepoint(c)
  if c < 256 then return schar(c) end
  if c < 2048 then return schar(192 + floor(c / 64), 128 + c % 64) end
  if c < 65536 then return schar(224 + floor(c / 4096), 128 + floor(c / 64) % 64, 128 + c % 64) end
  return schar(240 + floor(c / 262144), 128 + floor(c / 4096) % 64, 128 + floor(c / 64) % 64, 128 + c % 64)
end

local function jsonError(s, i, what)
  error("SyntaxError: JSON.parse: " .. what .. " at position " .. numstr(i - 1), 0)
end

local function skip(s, i)
  while true do
    local c = sbyte(s, i)
    if c == 32 or c == 9 or c == 10 or c == 13 then i = i + 1 else return i end
  end
end

local parseValue

local function parseString(s, i)
  -- s[i] is the opening quote; runs without escapes are found with string.find
  local parts, n = {}, 0
  local j = i + 1
  while true do
    local k = string.find(s, '["\\%c]', j)
    if k == nil then jsonError(s, #s + 1, "unterminated string") end
    local c = sbyte(s, k)
    if c == 127 then
      n = n + 1
      parts[n] = ssub(s, j, k)
      j = k + 1
    elseif c == 34 then
      n = n + 1
      parts[n] = ssub(s, j, k - 1)
      return table.concat(parts), k + 1
    elseif c ~= 92 then
      jsonError(s, k, "control character in string")
    else
      n = n + 1
      parts[n] = ssub(s, j, k - 1)
      local e = ssub(s, k + 1, k + 1)
      if e == "u" then
        local hex = ssub(s, k + 2, k + 5)
        if not string.match(hex, "^%x%x%x%x$") then jsonError(s, k, "bad \\u escape") end
        local cp = lua_tonumber(hex, 16)
        j = k + 6
        if cp >= 0xD800 and cp <= 0xDBFF and ssub(s, j, j + 1) == "\\u" then
          local lowHex = ssub(s, j + 2, j + 5)
          local lo = string.match(lowHex, "^%x%x%x%x$") and lua_tonumber(lowHex, 16) or nil
          if lo ~= nil and lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 65536 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
            j = j + 6
          end
        end
        n = n + 1
        parts[n] = codepoint(cp)
      else
        local r = ESC[e]
        if r == nil then jsonError(s, k, "bad escape") end
        n = n + 1
        parts[n] = r
        j = k + 2
      end
    end
  end
end

local function parseNumber(s, i)
  local num = string.match(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if num == nil or num == "" then jsonError(s, i, "unexpected character") end
  -- the JSON grammar exactly: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?
  local int, frac, exp = string.match(num, "^-?(%d+)(%.?%d*)([eE]?[-+]?%d*)$")
  if int == nil or (#int > 1 and ssub(int, 1, 1) == "0") or frac == "." or
    (exp ~= "" and not string.match(exp, "^[eE][-+]?%d+$")) then
    jsonError(s, i, "bad number")
  end
  local v = lua_tonumber(num)
  if v == nil then jsonError(s, i, "bad number") end
  return v, i + #num
end

function parseValue(s, i, depth)
  if depth > 200 then jsonError(s, i, "nesting too deep") end
  i = skip(s, i)
  local c = sbyte(s, i)
  if c == 123 then -- {
    local obj = {}
    i = skip(s, i + 1)
    if sbyte(s, i) == 125 then return obj, i + 1 end
    while true do
      if sbyte(s, i) ~= 34 then jsonError(s, i, "expected a string key") end
      local k
      k, i = parseString(s, i)
      i = skip(s, i)
      if sbyte(s, i) ~= 58 then jsonError(s, i, "expected ':'") end
      local v
      v, i = parseValue(s, i + 1, depth + 1)
      obj[k] = v
      i = skip(s, i)
      local d = sbyte(s, i)
      if d == 125 then return obj, i + 1 end
      if d ~= 44 then jsonError(s, i, "expected ',' or '}'") end
      i = skip(s, i + 1)
    end
  elseif c == 91 then -- [
    local arr, n = {}, 0
    i = skip(s, i + 1)
    if sbyte(s, i) == 93 then return arr, i + 1 end
    while true do
      local v
      v, i = parseValue(s, i, depth + 1)
      n = n + 1
      arr[n] = v
      i = skip(s, i)
      local d = sbyte(s, i)
      if d == 93 then return arr, i + 1 end
      if d ~= 44 then jsonError(s, i, "expected ',' or ']'") end
      i = i + 1
    end
  elseif c == 34 then
    return parseString(s, i)
  elseif c == 116 and ssub(s, i, i + 3) == "true" then
    return true, i + 4
  elseif c == 102 and ssub(s, i, i + 4) == "false" then
    return false, i + 5
  elseif c == 110 and ssub(s, i, i + 3) == "null" then
    return nil, i + 4
  elseif c == 45 or (c ~= nil and c >= 48 and c <= 57) then
    return parseNumber(s, i)
  end
  jsonError(s, i, c == nil and "unexpected end of input" or "unexpected character")
end

--- JSON.parse(text): objects and arrays as tables (arrays from 1), null as nil; throws on
--- anything JavaScript's JSON.parse refuses.
function JSON.parse(_, text)
  if type(text) ~= "string" then text = tostring(text) end
  local v, i = parseValue(text, 1, 0)
  i = skip(text, i)
  if i <= #text then jsonError(text, i, "unexpected data after the value") end
  return v
end

__fg.Uint8Array = Uint8Array
__fg.Uint32Array = Uint32Array
__fg.ArrayBuffer = ArrayBuffer
__fg.JSON = JSON
__fg.tostring = tostring
