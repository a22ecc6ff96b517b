// The ceiling: a do-nothing node:http server that reads each request's body and answers the same
// JSON the fobgate server would (argv[2]), keep-alive. Whatever fobgate does per request comes on
// top of this, on the same core, so our figures are printed as a share of it.
import http from 'node:http';

const body = process.argv[2] || '{}';
const length = Buffer.byteLength(body);
const server = http.createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': length });
    res.end(body);
  });
});
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  process.send({ url: `http://127.0.0.1:${server.address().port}` });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
