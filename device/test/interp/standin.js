// The board stand-in for the real interpreter (stored as Storage `.boot0`, which Espruino runs
// before `.bootcde`). The Linux build has no GPIO, I2C, Wifi or neopixel: this replaces the pin
// functions with a small model (levels, pulls, watches with edge filters), lets the test drive
// inputs (Wiegand frames, card-present, the oops button) and reports every output (pin writes,
// I2C transfers, neopixel frames) as one console line starting with byte 0x01, so nothing piles
// up in the interpreter's memory. Plain ES5, functions defined before use (no hoisting).
// The functions that run between a frame's last bit and the relay write (watch dispatch, pin
// reads and writes, the trace marks) carry Espruino's "ram" directive: on a chip this is native
// code, so the stand-in must not add the cost of lexing itself from flash to the firmware's tap
// time (device/bench/tap.bench.ts). It costs ~56 variables, counted in every memory figure.
(function (G) {
  var level = {};
  var driven = {};
  var mode = {};
  var watches = [];
  var nextWatch = 1;
  var S = require('Storage');
  var C = require('crypto');
  var H = require('http');
  var N = require('net');
  var ctlPort = Number(S.read('.fgctl'));
  var rawParse = JSON.parse;
  var rawTimeout = setTimeout;
  var rawInterval = setInterval;
  var st = { sample: false, peak: 0, samples: 0, wifi: true, trace: false, lastBit: 0 };

  // Reports and answers go to the test over a TCP connection to the port in Storage `.fgctl`
  // (the test's control server on 127.0.0.1), and commands come back on it. Not the console:
  // the Linux build reads stdin in a second thread that races with the interpreter, and a
  // stream of console input ends in a hang or a crash. Until connected, lines wait in a queue;
  // without `.fgctl` they are printed (byte 0x01 first). While a frame's last bit is handled,
  // lines are held and sent afterwards, so sending does not count into the measured time.
  var held = null;
  var sock = null;
  var queue = [];
  var lost = 0;
  var inbuf = '';
  var out = function (s) {
    if (sock) sock.write(s + '\n');
    else if (ctlPort > 0) {
      if (queue.length < 500) queue.push(s);
      else lost++;
    } else print('\x01' + s);
  };
  var say = function (s) {
    'ram';
    if (held) held.push(s);
    else out(s);
  };
  var flush = function () {
    var h = held;
    held = null;
    if (h) for (var i = 0; i < h.length; i++) out(h[i]);
  };
  var trace = [];
  // The firmware marks the steps of a tap through this global (src/hal-espruino.ts) when it exists.
  G.FG_TRACE = function (step) {
    'ram';
    if (st.trace && trace.length < 200) trace.push(step, getTime());
  };
  var sample = function () {
    'ram';
    if (!st.sample) return;
    var u = process.memory(false).usage;
    st.samples++;
    if (u > st.peak) st.peak = u;
  };
  var hex = function (d) {
    var s = '';
    var h = '0123456789abcdef';
    for (var i = 0; i < d.length; i++) s += h.charAt((d[i] >> 4) & 15) + h.charAt(d[i] & 15);
    return s;
  };
  var bytesOf = function (args, from) {
    var out = [];
    for (var i = from; i < args.length; i++) {
      var a = args[i];
      if (typeof a === 'number') out.push(a & 255);
      else if (typeof a === 'string') for (var j = 0; j < a.length; j++) out.push(a.charCodeAt(j) & 255);
      else if (a && a.length !== undefined) for (var k = 0; k < a.length; k++) out.push(a[k] & 255);
    }
    return out;
  };
  var pinOf = function (p) {
    'ram';
    return typeof p === 'number' ? p : parseInt(String(p).replace('D', ''), 10);
  };
  // What a pin reads: driven by the test, else its pull (floating inputs read low).
  var read = function (p) {
    'ram';
    if (mode[p] === 'output') return level[p] ? 1 : 0;
    if (driven[p] === 0 || driven[p] === 1) return driven[p];
    return mode[p] === 'input_pullup' ? 1 : 0;
  };
  var fire = function (p, was, now, t) {
    'ram';
    if (was === now) return;
    var list = watches.slice();
    for (var i = 0; i < list.length; i++) {
      var w = list[i];
      if (w.pin !== p) continue;
      if (w.edge === 'rising' && !now) continue;
      if (w.edge === 'falling' && now) continue;
      if (!w.repeat) G.clearWatch(w.id);
      sample();
      w.cb({ state: !!now, time: t, lastTime: w.last, pin: p });
      w.last = t;
      sample();
    }
  };
  // The outside world drives pin p to v (0, 1, or null = let go).
  var drive = function (p, v) {
    var was = read(p);
    driven[p] = v;
    fire(p, was, read(p), getTime());
  };

  G.pinMode = function (p, m) {
    p = pinOf(p);
    var was = read(p);
    mode[p] = String(m);
    if (mode[p] !== 'output') fire(p, was, read(p), getTime());
  };
  G.digitalWrite = function (p, v) {
    'ram';
    var t = getTime();
    p = pinOf(p);
    v = v ? 1 : 0;
    if (mode[p] === undefined) mode[p] = 'output';
    level[p] = v;
    say('W ' + p + ' ' + v + ' ' + t.toFixed(6));
  };
  G.digitalRead = function (p) {
    return read(pinOf(p));
  };
  G.setWatch = function (cb, p, o) {
    if (typeof cb !== 'function') throw new Error('setWatch: callback must be a function');
    o = o || {};
    var w = { id: nextWatch++, pin: pinOf(p), cb: cb, repeat: !!o.repeat, edge: o.edge || 'both', last: getTime() };
    watches.push(w);
    return w.id;
  };
  // as Espruino 2v29: no argument removes every watch, undefined and unknown ids throw
  G.clearWatch = function (id) {
    if (arguments.length === 0) {
      watches = [];
      return;
    }
    if (id === undefined) throw new Error('clearWatch(undefined) not allowed. Use clearWatch() instead');
    for (var i = 0; i < watches.length; i++) {
      if (watches[i].id === id) {
        watches.splice(i, 1);
        return;
      }
    }
    throw new Error('Unknown Watch ' + id);
  };
  // I2C1 is a built-in object: replace its methods (replacing the object does not last).
  I2C1.setup = function () {};
  // `.fgi2c` = "fail": nothing answers on the bus (an unplugged LCD), every write throws.
  var i2cFails = S.read('.fgi2c') === 'fail';
  I2C1.writeTo = function (addr) {
    if (i2cFails) throw new Error('I2C: no answer from ' + addr);
    var t = getTime();
    say('I ' + addr + ' ' + hex(bytesOf(arguments, 1)) + ' ' + t.toFixed(6));
  };
  I2C1.readFrom = function (addr, n) {
    return new Uint8Array(n);
  };
  // A module's source given to addCached runs on its own (no closure): register empty modules,
  // then fill the cached exports objects from here.
  var module = function (name) {
    Modules.addCached(name, 'exports.standin = 1;');
    return require(name);
  };
  var np = module('neopixel');
  np.write = function (p, d) {
    say('N ' + pinOf(p) + ' ' + hex(bytesOf([d], 0)));
  };
  var wifi = module('Wifi');
  (function (exports) {
    exports.connect = function (ssid, o, cb) {
      rawTimeout(function () {
        if (cb) cb(st.wifi ? null : 'no AP');
      }, 5);
    };
    exports.getDetails = function () {
      return { status: st.wifi ? 'connected' : 'off', rssi: st.wifi ? -55 : undefined };
    };
    exports.getStatus = function () {
      return { station: st.wifi ? 'connected' : 'off' };
    };
    exports.getIP = function () {
      return { ip: '127.0.0.1' };
    };
    exports.on = function () {};
    exports.setSNTP = function () {};
  })(wifi);
  // Memory sampling around the calls where the firmware's work peaks (flash, hashing, parsing,
  // timers, HTTP): off unless the test switches it on, so timing runs are not disturbed.
  (function (exports) {
    var names = ['read', 'readJSON', 'readArrayBuffer', 'write', 'writeJSON', 'erase', 'list', 'compact', 'getFree', 'getStats', 'open', 'hash', 'debug', 'eraseAll', 'optimise'];
    names.forEach(function (n) {
      if (typeof S[n] !== 'function') return;
      exports[n] = function (a, b, c, d) {
        sample();
        var r = arguments.length <= 1 ? S[n](a) : arguments.length === 2 ? S[n](a, b) : arguments.length === 3 ? S[n](a, b, c) : S[n](a, b, c, d);
        sample();
        return r;
      };
    });
  })(module('Storage'));
  (function (exports) {
    ['SHA1', 'SHA256', 'SHA512'].forEach(function (n) {
      if (typeof C[n] !== 'function') return;
      exports[n] = function (d) {
        sample();
        var r = C[n](d);
        sample();
        return r;
      };
    });
    if (C.AES) exports.AES = C.AES;
  })(module('crypto'));
  (function (exports) {
    exports.get = function (a, b) {
      return H.get(a, b);
    };
    exports.request = function (o, cb) {
      return H.request(o, function (res) {
        sample();
        var on = res.on;
        res.on = function (ev, fn) {
          return on.call(res, ev, function (x) {
            sample();
            fn(x);
            sample();
          });
        };
        if (cb) cb(res);
      });
    };
  })(module('http'));
  JSON.parse = function (s, r) {
    sample();
    var v = r === undefined ? rawParse(s) : rawParse(s, r);
    sample();
    return v;
  };
  G.setTimeout = function (fn, ms) {
    if (typeof fn !== 'function') return rawTimeout(fn, ms);
    return rawTimeout(function () {
      sample();
      fn();
      sample();
    }, ms);
  };
  G.setInterval = function (fn, ms) {
    if (typeof fn !== 'function') return rawInterval(fn, ms);
    return rawInterval(function () {
      sample();
      fn();
      sample();
    }, ms);
  };

  // The test's side: results of evaluated expressions, inputs, memory.
  G.__fg = {
    ev: function (id, f) {
      var v;
      try {
        v = f();
      } catch (e) {
        say('X ' + id + ' ' + String(e && e.message ? e.message : e));
        return;
      }
      say('R ' + id + ' ' + (v === undefined ? 'null' : JSON.stringify(v)));
    },
    drive: drive,
    read: read,
    // A Wiegand frame ("0101...") on D0/D1 falling edges. spacingMs: the reader's bit period
    // (the edges' timestamps). periodMs 0 hands all edges over at once, stamped as a reader sends
    // them and ending now, as the chip delivers watch events queued by its interrupt; periodMs > 0
    // paces them with timers (then a busy host may stretch the gaps).
    frame: function (d0, d1, bits, periodMs, spacingMs) {
      var i = 0;
      var n = bits.length;
      var t0 = getTime() - ((n - 1) * spacingMs) / 1000;
      var edge = function (p, t) {
        'ram';
        var was = read(p);
        driven[p] = 0;
        fire(p, was, 0, t);
        driven[p] = null;
        fire(p, 0, read(p), t + 0.00008);
      };
      var one = function () {
        var p = bits.charAt(i) === '1' ? d1 : d0;
        var last = i === n - 1;
        var t = periodMs > 0 ? getTime() : t0 + (i * spacingMs) / 1000;
        if (last) {
          i++;
          say('S');
          held = [];
          trace = [];
          t = getTime();
          st.lastBit = t;
          try {
            edge(p, t);
          } finally {
            var f = getTime();
            flush();
            say('B ' + t.toFixed(6));
            say('F ' + f.toFixed(6));
          }
          return;
        }
        edge(p, t);
        i++;
        if (periodMs > 0) rawTimeout(one, periodMs);
      };
      if (periodMs > 0) one();
      else while (i < n) one();
    },
    wifi: function (up) {
      st.wifi = !!up;
    },
    memory: function () {
      var m = process.memory();
      return { usage: m.usage, total: m.total, free: m.free, peak: Math.max(st.peak, m.usage), samples: st.samples };
    },
    sampling: function (on) {
      st.sample = !!on;
      st.peak = 0;
      st.samples = 0;
      sample();
    },
    // What the firmware set up: watched pins with their edges, and pin modes.
    board: function () {
      return { watches: watches.map(function (w) { return [w.pin, w.edge]; }), modes: mode, driven: driven };
    },
    // The steps the firmware marked since the last frame: [[step, microseconds after the last bit], ...].
    trace: function (on) {
      if (on !== undefined) st.trace = !!on;
      var r = [];
      for (var i = 0; i + 1 < trace.length; i += 2) r.push([trace[i], Math.round((trace[i + 1] - st.lastBit) * 1e6)]);
      return r;
    },
    errors: function () {
      return E.getErrorFlags();
    },
  };
  // The outside world at power-on: the oops button's normally-closed contact holds its pin low
  // (the config's pin, else the reference GPIO32); a test may leave more in `.fgworld`
  // ({"18": 1}: a card left in the reader).
  var cfg = S.readJSON('fobgate.json', true);
  var pins = cfg && cfg.pins && typeof cfg.pins === 'object' ? cfg.pins : {};
  driven[typeof pins.oops_button === 'number' ? pins.oops_button : 32] = 0;
  // `.fgsample`: sample memory from the first instruction on (peaks of the boot and first sync)
  if (S.read('.fgsample') !== undefined) st.sample = true;
  var world = S.readJSON('.fgworld', true);
  if (world && typeof world === 'object') for (var k in world) driven[k] = world[k];
  // Commands from the test: "E <id> <expression>" -> "R <id> <json>" or "X <id> <error>".
  var run = function (line) {
    if (line.substring(0, 2) !== 'E ') return;
    var sp = line.indexOf(' ', 2);
    var id = line.substring(2, sp);
    var code = line.substring(sp + 1);
    G.__fg.ev(id, function () {
      return eval(code);
    });
  };
  var connect = function () {
    var c;
    try {
      c = N.connect({ host: '127.0.0.1', port: ctlPort }, function () {
        sock = c;
        if (lost) sock.write('L ' + lost + '\n');
        lost = 0;
        var q = queue;
        queue = [];
        for (var i = 0; i < q.length; i++) sock.write(q[i] + '\n');
      });
    } catch (e) {
      rawTimeout(connect, 300);
      return;
    }
    c.on('data', function (d) {
      inbuf += d;
      var nl = inbuf.indexOf('\n');
      while (nl >= 0) {
        var line = inbuf.substring(0, nl);
        inbuf = inbuf.substring(nl + 1);
        run(line);
        nl = inbuf.indexOf('\n');
      }
    });
    c.on('close', function () {
      if (sock === c) sock = null;
      rawTimeout(connect, 300);
    });
    c.on('error', function () {});
  };
  if (ctlPort > 0) connect();
  say('STANDIN ' + process.memory().usage);
})(global);
