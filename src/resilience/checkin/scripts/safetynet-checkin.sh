#!/bin/sh
# Safety Net device check-in for macOS and Linux.
#
# Reports this computer's name, serial number, make and model, operating
# system with its version and build, when software updates were last
# installed, and whether the disk is encrypted, to the asset register of
# __PRACTICE__ in Safety Net. Nothing else is read or sent.
#
# Keep this file private: the token below lets whoever has it add devices to
# the practice's register. A practice manager can make a new token in
# Safety Net (Resilience > Device check-in), which stops this copy working.
#
# Run it once to check it works:      sh safetynet-checkin.sh
# See what it would send, without sending anything:
#                                     SAFETYNET_DRY_RUN=1 sh safetynet-checkin.sh
# Then run it every day, for example with cron (as root, so it can read the
# serial number):  30 9 * * * /bin/sh /usr/local/sbin/safetynet-checkin.sh

SAFETYNET_URL='__URL__'
SAFETYNET_TOKEN='__TOKEN__'

LC_ALL=C
export LC_ALL

# Text made safe inside JSON quotes: no control characters, \ and " escaped.
json_text() {
    printf '%s' "$1" | tr '\t\r\n' '   ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n'
}

# The newest modification time (seconds since 1970) of the files given.
newest_mtime() {
    newest=""
    for f in "$@"; do
        [ -e "$f" ] || continue
        t=$(stat -c %Y "$f" 2>/dev/null || stat -f %m "$f" 2>/dev/null)
        case "$t" in
            ''|*[!0-9]*) continue ;;
        esac
        if [ -z "$newest" ] || [ "$t" -gt "$newest" ]; then
            newest=$t
        fi
    done
    printf '%s' "$newest"
}

read_file() {
    [ -r "$1" ] && head -n 1 "$1" 2>/dev/null
}

hostname=$(uname -n 2>/dev/null | cut -d. -f1)
serial=""
make=""
model=""
os=""
build=""
kind="desktop"
encryption="unknown"
last_update=""

case "$(uname -s)" in
Darwin)
    os="$(sw_vers -productName 2>/dev/null) $(sw_vers -productVersion 2>/dev/null)"
    build=$(sw_vers -buildVersion 2>/dev/null)
    serial=$(ioreg -c IOPlatformExpertDevice -d 2 2>/dev/null | awk -F'"' '/IOPlatformSerialNumber/ { print $(NF-1) }')
    make="Apple"
    model=$(sysctl -n hw.model 2>/dev/null)
    case "$model" in
        *Book*) kind="laptop" ;;
    esac
    if command -v fdesetup >/dev/null 2>&1; then
        case "$(fdesetup status 2>/dev/null)" in
            *"FileVault is On"*) encryption="yes" ;;
            *"FileVault is Off"*) encryption="no" ;;
        esac
    fi
    last_update=$(newest_mtime /Library/Receipts/InstallHistory.plist)
    ;;
*)
    if [ -r /etc/os-release ]; then
        os=$(. /etc/os-release && printf '%s' "${PRETTY_NAME:-$NAME $VERSION_ID}")
    else
        os="$(uname -s) $(uname -r)"
    fi
    build=$(uname -r)
    serial=$(read_file /sys/class/dmi/id/product_serial)
    make=$(read_file /sys/class/dmi/id/sys_vendor)
    model=$(read_file /sys/class/dmi/id/product_name)
    case "$(read_file /sys/class/dmi/id/chassis_type)" in
        8|9|10|14|31|32) kind="laptop" ;;
        17|23|25|28) kind="server" ;;
    esac
    if command -v lsblk >/dev/null 2>&1; then
        types=$(lsblk -rno TYPE 2>/dev/null)
        if [ -n "$types" ]; then
            case "$types" in
                *crypt*) encryption="yes" ;;
                *) encryption="no" ;;
            esac
        fi
    fi
    last_update=$(newest_mtime /var/log/apt/history.log /var/lib/dpkg/status /var/lib/dnf/history.sqlite \
        /var/lib/rpm/rpmdb.sqlite /var/lib/rpm/Packages /var/log/pacman.log /var/log/zypp/history)
    ;;
esac

body=$(printf '{"hostname":"%s","serial":"%s","make":"%s","model":"%s","os":"%s","build":"%s","kind":"%s","encryption":"%s","last_update":%s,"script":"sh"}' \
    "$(json_text "$hostname")" "$(json_text "$serial")" "$(json_text "$make")" "$(json_text "$model")" \
    "$(json_text "$os")" "$(json_text "$build")" "$kind" "$encryption" "${last_update:-null}")

if [ -n "$SAFETYNET_DRY_RUN" ]; then
    printf '%s\n' "$body"
    exit 0
fi

if ! command -v curl >/dev/null 2>&1; then
    echo "Safety Net check-in needs curl, which is not installed on this computer." >&2
    exit 1
fi

reply=$(curl -sS --max-time 30 -X POST \
    -H "Authorization: Bearer $SAFETYNET_TOKEN" \
    -H "Content-Type: application/json" \
    --data-binary "$body" \
    -w '\n%{http_code}' \
    "$SAFETYNET_URL/api/checkin") || {
    echo "Safety Net check-in could not reach $SAFETYNET_URL. Check the computer is online and try again." >&2
    exit 1
}
status=$(printf '%s' "$reply" | tail -n 1)
message=$(printf '%s' "$reply" | sed '$d' | sed -n 's/.*"message":"\([^"]*\)".*/\1/p')
case "$status" in
    2??)
        printf '%s\n' "${message:-Checked in.}"
        ;;
    *)
        printf 'Safety Net did not accept the check-in (%s): %s\n' "$status" "${message:-no reason given}" >&2
        exit 1
        ;;
esac
