// A plain TCP forwarder, run as its own process: the fault suite's hosts (network namespaces)
// reach the machine's Postgres, which listens on loopback only, through it on the bridge.
// usage: node tcp-proxy.js <listen host> <listen port> <target host> <target port>
const net = require('node:net');

const [host, port, targetHost, targetPort] = process.argv.slice(2);
const server = net.createServer((client) => {
  const upstream = net.connect(Number(targetPort), targetHost);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(Number(port), host, () => console.log(`proxy ready ${host}:${port} -> ${targetHost}:${targetPort}`));
process.on('SIGTERM', () => process.exit(0));
