#!/bin/sh
# Runs ONE private Courier instance (authdaemond, couriertcpd+imapd, couriertcpd+pop3d) for
# test/support/servers/courier.ts. Started as `unshare -m -- /bin/sh courier-launcher.sh ROOT DIR`,
# so this shell is the harness's owned PID and lives in a mount namespace of its own.
#
# Courier's binaries have their paths compiled in (/etc/courier, /run/courier/authdaemon/socket,
# /usr/lib/courier-authlib modules, /usr/lib/courier/...). Inside the namespace:
#   /usr          = read-only overlay of the unpacked packages (ROOT/usr) over the real /usr
#   /etc, /run    = read-only overlays that only add an empty courier/ mount point ...
#   /etc/courier  = ... onto which DIR/etc/courier is bound (config, userdb, certificates)
#   /run/courier  = DIR/run/courier (authdaemon socket, pid files)
# Nothing outside the namespace changes, so several instances run side by side.
#
# The daemons are started the way Debian's init scripts start them (environment = the sourced
# config files, `env -i`, same couriertcpd arguments), but in the foreground without
# courierlogger, so their stderr (Courier's whole log) goes to our stdout/stderr.
#
# On TERM/INT, or when any daemon exits, every process of this mount namespace is ended:
# first the daemons (TERM), then whatever is left (per-connection imapd/pop3d, a gam_server
# started by IDLE) by SIGKILL. Processes are found by their mount namespace, which only
# processes started from this launcher (or nsenter'ed by the harness) share.
set -e

root=$1
dir=$2

self_ns=$(readlink /proc/$$/ns/mnt)
if [ "$self_ns" = "$(readlink /proc/$PPID/ns/mnt)" ]; then
  echo "courier-launcher: not in a private mount namespace (run me under unshare -m)" >&2
  exit 2
fi

mkdir -p "$dir/skel/etc/courier" "$dir/skel/run/courier" "$dir/run/courier/authdaemon"
mount -t overlay courier-usr -o "lowerdir=$root/usr:/usr" /usr
mount -t overlay courier-etc -o "lowerdir=$dir/skel/etc:/etc" /etc
mount --bind "$dir/etc/courier" /etc/courier
mount -t overlay courier-run -o "lowerdir=$dir/skel/run:/run" /run
mount --bind "$dir/run/courier" /run/courier

daemons=""

# End every process of this namespace except this shell: TERM, up to 2 s to go, then KILL.
# Perl (perl-base is Essential on Debian) rather than sh, because a sh loop over /proc would
# see its own command-substitution subshells as namespace members.
sweep_namespace() {
  perl -e '
    my ($launcher, $ns) = @ARGV;
    sub members { grep { $_ != $$ && $_ != $launcher && (readlink("/proc/$_/ns/mnt") // "") eq $ns }
                  map { m{^/proc/(\d+)$} ? $1 : () } glob("/proc/[0-9]*") }
    kill "TERM", members();
    my $empty = 0;
    for my $tick (1 .. 70) {
      my @left = members();
      if (!@left) { exit 0 if ++$empty >= 3; select(undef, undef, undef, 0.05); next; }
      $empty = 0;
      kill "KILL", @left if $tick >= 20;
      select(undef, undef, undef, 0.1);
    }
    print STDERR "courier-launcher: processes left in the namespace: @{[members()]}\n";
    exit 1;
  ' "$$" "$self_ns" || true
}

shutdown() {
  trap '' TERM INT
  for pid in $daemons; do kill -TERM "$pid" 2>/dev/null || true; done
  sweep_namespace
  echo "courier-launcher: stopped"
  exit "${1:-0}"
}
trap 'shutdown 0' TERM INT

# authdaemond (Debian: /usr/sbin/authdaemond start -> courierlogger ... authdaemond).
(
  set -a
  . /etc/courier/authdaemonrc
  exec /usr/lib/courier/courier-authlib/authdaemond
) &
daemons="$daemons $!"
i=0
while [ ! -S /run/courier/authdaemon/socket ]; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then echo "courier-launcher: authdaemond socket did not appear" >&2; shutdown 1; fi
  sleep 0.05
done

# imapd (Debian: /usr/lib/courier/imapd start), without courierlogger.
(
  . /etc/courier/imapd-ssl
  . /etc/courier/imapd
  umask "$IMAP_UMASK"
  if [ ! -f "${IMAPACCESSFILE:=/etc/courier/imapaccess}.dat" ]; then /usr/sbin/makeimapaccess; fi
  if [ -n "$IMAP_ULIMITD" ]; then ulimit -v "$IMAP_ULIMITD"; fi
  exec /usr/bin/env -i /bin/sh -c " set -a ; \
    prefix=/usr ; exec_prefix=/usr ; sbindir=/usr/sbin ; bindir=/usr/bin ; \
    . /etc/courier/imapd ; \
    . /etc/courier/imapd-ssl ; \
    IMAP_STARTTLS=$IMAPDSTARTTLS ; \
    PROXY_HOSTNAME=${PROXY_HOSTNAME:-} ; \
    exec /usr/sbin/couriertcpd -address=\$ADDRESS \
      -maxprocs=\$MAXDAEMONS -maxperip=\$MAXPERIP \
      -access=\$IMAPACCESSFILE.dat \
      \$TCPDOPTS \
      \$PORT /usr/lib/courier/courier/imaplogin \
        /usr/bin/imapd \${MAILDIRPATH}"
) &
daemons="$daemons $!"

# pop3d (Debian: /usr/lib/courier/pop3d start), without courierlogger.
(
  cd /usr
  exec /usr/bin/env -i /bin/sh -c " set -a; \
    prefix=/usr ; exec_prefix=/usr ; sbindir=/usr/sbin ; bindir=/usr/bin ; libexecdir=/usr/lib/courier ; \
    . /etc/courier/pop3d ; \
    . /etc/courier/pop3d-ssl ; \
    PROXY_HOSTNAME= ; \
    exec /usr/sbin/couriertcpd -address=\$ADDRESS \
      -maxprocs=\$MAXDAEMONS -maxperip=\$MAXPERIP \
      \$TCPDOPTS \
      \$PORT /usr/lib/courier/courier/courierpop3login \
        /usr/lib/courier/courier/courierpop3d \${MAILDIRPATH}"
) &
daemons="$daemons $!"

echo "courier-launcher: started (pids$daemons)"
# `wait` returns when any trapped signal arrives (the trap then runs) or when a daemon exits.
while :; do
  for pid in $daemons; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "courier-launcher: daemon $pid exited" >&2
      shutdown 1
    fi
  done
  sleep 1 &
  wait $! || true
done
