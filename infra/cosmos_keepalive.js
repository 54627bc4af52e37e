// Starts @vercel/cosmosdb-server like its CLI does, but with HTTP keep-alive on.
// The CLI cannot enable it, and without it every request pays a new TLS handshake
// (about 35 ms here, and seconds per request under 50 concurrent clients).
const path = require("path");
const infra = process.argv[3];
const server = require(path.join(infra, "node_modules", "@vercel", "cosmosdb-server"));
const port = parseInt(process.argv[2], 10);
server.default({ keepAlive: true }).listen(port, () => {
  console.log(`Ready to accept HTTPS connections at [::]:${port}`);
});
