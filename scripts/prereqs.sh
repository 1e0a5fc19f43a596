# Shared by start.sh, test.sh and .ci/run: install or start what is missing, and say so.

ensure_node_modules() {
  if [ ! -x node_modules/.bin/tsx ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing npm dependencies (npm ci)…"
    npm ci --no-audit --no-fund
  fi
}

# Postgres must answer at DATABASE_URL (default: local 127.0.0.1:5432). A local cluster that
# is installed but stopped is started; the database itself is created by the migrations.
ensure_postgres() {
  local url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/dropship}"
  if node -e "
    const net=require('net');const u=new URL(process.argv[1]);
    const s=net.connect(Number(u.port||5432),u.hostname);
    s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));
    setTimeout(()=>process.exit(1),3000);" "$url"; then
    return 0
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    echo "Postgres is not answering; starting the local cluster…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do
      pg_isready -h 127.0.0.1 -q && return 0
      sleep 1
    done
  fi
  echo "Postgres is not reachable at $url. Install and start PostgreSQL (e.g. apt-get install postgresql)," >&2
  echo "or point DATABASE_URL at one (or run: docker compose -f temporal-dev.yml up -d)." >&2
  exit 1
}

# The dealer screens are tested in a real headless Chromium: Debian's package (puppeteer's own
# browser download cannot work on a machine without internet). CHROMIUM_PATH points elsewhere.
ensure_chromium() {
  local path="${CHROMIUM_PATH:-/usr/bin/chromium}"
  [ -x "$path" ] && return 0
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2
    exit 1
  fi
  echo "Installing Debian's chromium for the browser tests…"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y chromium >/dev/null || { $sudo apt-get update >/dev/null && $sudo apt-get install -y chromium >/dev/null; }
}
