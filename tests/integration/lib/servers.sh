# Servers for the remote cache scenarios; source after "$TEST_LIB". Each one
# listens on 127.0.0.1 only, on a random free port (a start that loses the
# port to a parallel test is retried on another), keeps all its files under
# $WORK, needs no root, and is killed when the scenario exits: this file
# replaces common.sh's EXIT trap with one that stops the servers, then
# removes $WORK. Start and stop them from the scenario's own shell, never
# from a subshell or $(...). Each start takes an optional PORT, e.g.
# start_redis "$REDIS_PORT" to bring a stopped server back on the same URL.
#   start_redis [PORT]  redis-server, no persistence, TCP and a unix socket;
#                       sets REDIS_PORT, REDIS_PID, REDIS_URL
#                       (redis://127.0.0.1:PORT), REDIS_SOCKET
#                       ($WORK/redis/redis.sock) and REDIS_UNIX_URL
#                       (redis+unix://SOCKET); its log: $WORK/redis/redis.log
#   stop_redis          SIGKILLs it (a server dying mid-run), waits until its
#                       port refuses connections and empties REDIS_PID
#   start_nginx [PORT]  nginx's WebDAV as a Bazel HTTP cache: GET, HEAD, PUT
#                       (201 new, 204 replaced), DELETE on NGINX_URL/ac/<hex>
#                       and NGINX_URL/cas/<hex>, NGINX_URL being
#                       http://127.0.0.1:PORT/cache; sets NGINX_PORT, NGINX_PID,
#                       NGINX_URL, NGINX_STORE (the files: $WORK/nginx/store/
#                       ac/<hex>, cas/<hex>) and NGINX_LOG ($WORK/nginx/
#                       access.log, one "METHOD URI STATUS" line a request);
#                       the same store behind HTTP basic authentication is
#                       NGINX_PRIVATE_URL (.../private), for user NGINX_USER
#                       with password NGINX_PASSWORD
#   stop_nginx          as stop_redis
#   start_fault_server [PORT]
#                       tests/tools/fault-http-server.py (its header says
#                       what it does), same layout; sets FAULT_PORT, FAULT_PID,
#                       FAULT_URL (http://127.0.0.1:PORT/cache), FAULT_STORE
#                       ($WORK/fault/store) and FAULT_LOG ($WORK/fault/
#                       requests.log, "METHOD PATH STATUS[ MODE]" lines)
#   set_fault MODE [WHICH] [SECONDS]
#                       the fault server's behaviour from the next request
#                       on: MODE none, wrong-bytes, truncated, status500,
#                       slow (SECONDS, default 5), garbage-status or
#                       huge-length, for GETs of WHICH: ac, cas or all
#   stop_fault_server   as stop_redis

require_command python3

REDIS_PID='' NGINX_PID='' FAULT_PID=''
NGINX_USER=ci NGINX_PASSWORD=nginx-secret-$$

servers_cleanup() {
  kill_server "$FAULT_PID"
  kill_server "$NGINX_PID"
  kill_server "$REDIS_PID"
  rm -rf "$WORK" || true
}
trap servers_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() { # PORT
  python3 -c 'import socket, sys; sys.exit(socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"
}

alive() { # PID: running, not a zombie
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  case $st in Z* | X*) return 1 ;; esac
}

kill_server() { # PID (or empty): SIGKILL and reap; never fails
  if [ -n "$1" ]; then
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}

# start_server WHAT LOG PORT: up to 5 times, runs "launch_WHAT P" on PORT (or
# on a free port), which starts the server in the background and sets
# server_pid, then waits up to 5 s for "ready_WHAT P". Sets server_port.
start_server() {
  for _ in 1 2 3 4 5; do
    server_port=${3:-$(free_port)}
    "launch_$1" "$server_port"
    i=0
    while alive "$server_pid" && [ "$i" -lt 50 ]; do
      if "ready_$1" "$server_port"; then return 0; fi
      sleep 0.1
      i=$((i + 1))
    done
    kill_server "$server_pid"
  done
  echo "--- $2:" >&2
  cat "$2" >&2 || true
  fail "$1 did not start"
}

stop_server() { # WHAT PID PORT
  kill_server "$2"
  i=0
  while port_open "$3"; do
    i=$((i + 1))
    [ "$i" -lt 50 ] || fail "$1 still accepts connections on port $3"
    sleep 0.1
  done
}

# --- redis ---

launch_redis() {
  redis-server --bind 127.0.0.1 --port "$1" --save '' --appendonly no \
    --dir "$WORK/redis" --unixsocket "$REDIS_SOCKET" --unixsocketperm 700 \
    --daemonize no --logfile "$WORK/redis/redis.log" </dev/null >/dev/null 2>&1 &
  server_pid=$!
}

# Ours answers: another test's redis may hold the port while ours fails;
# "timeout": a listener that never answers must not hang us.
ready_redis() {
  got=$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')
  [ "$got" = "$server_pid" ] && [ -S "$REDIS_SOCKET" ]
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || skip "needs redis-server (Debian: redis-server)"
  command -v redis-cli >/dev/null 2>&1 || skip "needs redis-cli (Debian: redis-tools)"
  mkdir -p "$WORK/redis"
  REDIS_SOCKET=$WORK/redis/redis.sock
  start_server redis "$WORK/redis/redis.log" "${1:-}"
  REDIS_PORT=$server_port REDIS_PID=$server_pid
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  REDIS_UNIX_URL=redis+unix://$REDIS_SOCKET
}

stop_redis() {
  stop_server redis "$REDIS_PID" "${REDIS_PORT:-0}"
  REDIS_PID=
}

# --- nginx ---

# One process (master_process off), so SIGKILL leaves no worker behind, and
# running as root it stays root: no "user" to give $WORK to.
launch_nginx() {
  d=$WORK/nginx
  cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
pid "$d/nginx.pid";
error_log "$d/error.log";
events { worker_connections 256; }
http {
  log_format harness '\$request_method \$request_uri \$status';
  access_log "$d/access.log" harness;
  client_body_temp_path "$d/tmp/body";
  proxy_temp_path "$d/tmp/proxy";
  fastcgi_temp_path "$d/tmp/fastcgi";
  uwsgi_temp_path "$d/tmp/uwsgi";
  scgi_temp_path "$d/tmp/scgi";
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$1;
    location /cache/ {
      alias "$d/store/";
      dav_methods PUT DELETE;
      create_full_put_path on;
      client_max_body_size 1g;
    }
    location /private/ {
      alias "$d/store/";
      dav_methods PUT DELETE;
      create_full_put_path on;
      client_max_body_size 1g;
      auth_basic "sealexec tests";
      auth_basic_user_file "$d/htpasswd";
    }
    location = /.harness-id {
      access_log off;
      return 200 "$(basename "$WORK")";
    }
  }
}
EOF
  printf '%s:{PLAIN}%s\n' "$NGINX_USER" "$NGINX_PASSWORD" >"$d/htpasswd"
  "$NGINX" -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" </dev/null >/dev/null 2>&1 &
  server_pid=$!
}

http_body() { # URL
  if command -v curl >/dev/null 2>&1; then
    curl -sf --max-time 2 "$1"
  else
    python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode(), end="")' "$1"
  fi
}

ready_nginx() {
  [ "$(http_body "http://127.0.0.1:$1/.harness-id" 2>/dev/null)" = "$(basename "$WORK")" ]
}

start_nginx() {
  NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
  [ -x "$NGINX" ] || skip "needs nginx (Debian: nginx)"
  "$NGINX" -V 2>&1 | grep -q -e --with-http_dav_module || skip "needs nginx with http_dav_module"
  mkdir -p "$WORK/nginx/store" "$WORK/nginx/tmp"
  start_server nginx "$WORK/nginx/error.log" "${1:-}"
  NGINX_PORT=$server_port NGINX_PID=$server_pid
  NGINX_URL=http://127.0.0.1:$NGINX_PORT/cache
  NGINX_STORE=$WORK/nginx/store NGINX_LOG=$WORK/nginx/access.log
  NGINX_PRIVATE_URL=http://127.0.0.1:$NGINX_PORT/private
}

stop_nginx() {
  stop_server nginx "$NGINX_PID" "${NGINX_PORT:-0}"
  NGINX_PID=
}

# --- the fault-injecting HTTP server ---

launch_fault() {
  rm -f "$WORK/fault/ready"
  python3 "$SOURCE_DIR/tests/tools/fault-http-server.py" --port "$1" --root "$WORK/fault" \
    </dev/null >/dev/null 2>>"$WORK/fault/server.log" &
  server_pid=$!
}

# The server writes "ready" once it listens: the port is surely its own.
ready_fault() {
  [ -f "$WORK/fault/ready" ]
}

start_fault_server() {
  mkdir -p "$WORK/fault"
  start_server fault "$WORK/fault/server.log" "${1:-}"
  FAULT_PORT=$server_port FAULT_PID=$server_pid
  FAULT_URL=http://127.0.0.1:$FAULT_PORT/cache
  FAULT_STORE=$WORK/fault/store FAULT_LOG=$WORK/fault/requests.log
}

set_fault() { # MODE [WHICH] [SECONDS]
  case $1 in
    none | wrong-bytes | truncated | status500 | slow | garbage-status | huge-length) ;;
    *) fail "set_fault: unknown mode $1" ;;
  esac
  case ${2:-all} in ac | cas | all) ;; *) fail "set_fault: WHICH is ac, cas or all, not $2" ;; esac
  printf '%s\n' "$*" >"$WORK/fault/fault.tmp"
  mv "$WORK/fault/fault.tmp" "$WORK/fault/fault"
}

stop_fault_server() {
  stop_server fault-server "$FAULT_PID" "${FAULT_PORT:-0}"
  FAULT_PID=
}
