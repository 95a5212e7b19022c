# Throw-away services the tests need, started on loopback and stopped at exit. Sourced by
# .ci/test. Each start_* exports the variable the tests read and fails loudly when the service
# cannot be installed or started: the tests never pass by skipping a missing service.

MDK_SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mdk-services.XXXXXX")"
chmod 755 "$MDK_SERVICES_DIR"
MDK_STOPS=()

stop_services() {
    local i
    for ((i = ${#MDK_STOPS[@]} - 1; i >= 0; i--)); do
        eval "${MDK_STOPS[$i]}" || true
    done
    rm -rf "$MDK_SERVICES_DIR"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as an unprivileged user when we are root (PostgreSQL refuses to run as root).
as_service_user() {
    if [ "$(id -u)" -eq 0 ]; then
        if ! id mdkservice >/dev/null 2>&1; then
            useradd --system --no-create-home --shell /usr/sbin/nologin mdkservice
        fi
        runuser -u mdkservice -- "$@"
    else
        "$@"
    fi
}

postgres_bindir() {
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return
    fi
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ]; then
            echo "$dir"
            return
        fi
    done
}

start_postgres() {
    local bindir
    bindir="$(postgres_bindir)"
    if [ -z "$bindir" ]; then
        echo "PostgreSQL is not installed; installing Debian's postgresql package" >&2
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
        bindir="$(postgres_bindir)"
    fi
    if [ -z "$bindir" ]; then
        echo "FAILED: PostgreSQL could not be installed; the PostgreSQL tests cannot run" >&2
        return 1
    fi
    local data="$MDK_SERVICES_DIR/postgres"
    local port
    port="$(free_port)"
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && { as_service_user true; chown mdkservice "$data"; }
    as_service_user "$bindir/initdb" -D "$data/db" --auth=trust --username=mdk --encoding=UTF8 >/dev/null
    as_service_user "$bindir/pg_ctl" -D "$data/db" -l "$data/log" -w \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    MDK_STOPS+=("as_service_user '$bindir/pg_ctl' -D '$data/db' -m fast -w stop >/dev/null")
    as_service_user "$bindir/createdb" -h 127.0.0.1 -p "$port" -U mdk test
    export TEST_POSTGRES_URL="postgres://mdk@127.0.0.1:$port/test"
    echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

# A real SMTP server (aiosmtpd, from PyPI when missing) that writes each received message as
# JSON into a folder. Exports TEST_SMTP_URL (with its user and password) and TEST_SMTP_DIR.
start_smtp() {
    if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
        echo "aiosmtpd is not installed; installing it from PyPI" >&2
        python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2' >&2 || true
    fi
    if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
        echo "FAILED: aiosmtpd could not be installed; the e-mail tests cannot run" >&2
        return 1
    fi
    local dir="$MDK_SERVICES_DIR/smtp"
    local port
    port="$(free_port)"
    mkdir -p "$dir/mail"
    python3 "$(dirname "${BASH_SOURCE[0]}")/smtp_sink.py" "$port" "$dir/mail" >"$dir/log" 2>&1 &
    local pid=$!
    MDK_STOPS+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
    local i
    for i in $(seq 1 50); do
        grep -q ready "$dir/log" 2>/dev/null && break
        sleep 0.1
    done
    if ! grep -q ready "$dir/log"; then
        echo "FAILED: the SMTP server did not start: $(cat "$dir/log")" >&2
        return 1
    fi
    export TEST_SMTP_URL="smtp://mailer:smtp-secret-42@127.0.0.1:$port"
    export TEST_SMTP_DIR="$dir/mail"
    echo "SMTP (aiosmtpd) on 127.0.0.1:$port" >&2
}

# Headless Chromium driven over WebDriver: Debian's chromium and chromium-driver (installed with
# apt when missing), chromedriver on a loopback port. Exports TEST_WEBDRIVER_URL and
# TEST_CHROMIUM (the browser binary).
start_chromedriver() {
    if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
        echo "chromium or chromedriver is not installed; installing Debian's packages" >&2
        if [ "$(id -u)" -eq 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2 || true
        else
            sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
            sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2 || true
        fi
    fi
    if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
        echo "FAILED: chromium and chromedriver could not be installed; the browser tests cannot run" >&2
        return 1
    fi
    local dir="$MDK_SERVICES_DIR/chromedriver"
    local port
    port="$(free_port)"
    mkdir -p "$dir"
    chromedriver --port="$port" --allowed-ips=127.0.0.1 >"$dir/log" 2>&1 &
    local pid=$!
    MDK_STOPS+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
    local i
    for i in $(seq 1 100); do
        python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://127.0.0.1:$port/status" >/dev/null 2>&1 && break
        sleep 0.1
    done
    if ! python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://127.0.0.1:$port/status" >/dev/null 2>&1; then
        echo "FAILED: chromedriver did not start: $(cat "$dir/log")" >&2
        return 1
    fi
    export TEST_WEBDRIVER_URL="http://127.0.0.1:$port"
    TEST_CHROMIUM="$(command -v chromium)"
    export TEST_CHROMIUM
    echo "chromedriver $(chromedriver --version | cut -d' ' -f2) on 127.0.0.1:$port" >&2
}
