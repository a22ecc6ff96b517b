// The benchmark server's logging, read from the run's environment: npm start's (info, JSON lines,
// no access log) unless the run sets LOG_LEVEL / ACCESS_LOG, e.g. LOG_LEVEL=warn to compare.
// Always JSON lines, as to a service manager's pipe. The fleet server logs with it and the
// benchmarks' headers say which ran.
import { readLogSettings, type LogSettings } from '../src/logging.js';

export function benchLogging(): LogSettings {
  const r = readLogSettings({ LOG_LEVEL: process.env.LOG_LEVEL, ACCESS_LOG: process.env.ACCESS_LOG, LOG_FORMAT: 'json' }, [], false);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}
