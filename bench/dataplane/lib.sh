# Shared by the dataplane benchmarks (sourced): iperf3, the table and
# HAProxy's configuration, over bench/lib.sh.
. "$(dirname "$0")/../lib.sh"

# Gbit/s (receiver), -, -, busy % of CPU 0 and 1, for HOST PORT.
bulk() {
	c0=$(cpustat)
	g=$($RUN taskset -c 1 iperf3 -c "$1" -p "$2" -t "$DUR" -f g 2>/dev/null |
		awk '/receiver/ { print $(NF-2) }')
	c1=$(cpustat)
	echo "${g:-0} - - $(busy "$c0" "$c1")"
}

# The table: one block per pattern, with the ratios to HAProxy and to a
# direct connection, measured in the same run.
table() { # sorted medians file
	printf '%-10s %-14s %10s %8s %8s %6s %6s %8s %8s\n' pattern target 'req/s|Gb/s' \
		p50ms p99ms cpu0% cpu1% /haproxy /direct
	awk '
	{ k[NR] = $0; if ($2 == "direct") d[$1] = $3; if ($2 == "haproxy") h[$1] = $3 }
	END {
		for (i = 1; i <= NR; i++) {
			split(k[i], f, " ")
			if (f[1] != last && last != "") print ""
			last = f[1]
			printf "%-10s %-14s %10s %8s %8s %6s %6s %8.2f %8.2f\n", f[1], f[2], f[3], f[4],
				f[5], f[6], f[7], h[f[1]] ? f[3] / h[f[1]] : 0, d[f[1]] ? f[3] / d[f[1]] : 0
		}
	}' "$1"
}

# HAProxy in TCP mode, one thread: FRONT:18081 -> BACK:18080 (requests) and
# FRONT:15202 -> BACK:15201 (bulk), written to $T/haproxy.cfg.
haproxy_cfg() { # FRONT BACK
	cat > "$T/haproxy.cfg" <<CONF
global
	nbthread 1
	maxconn 8000
defaults
	mode tcp
	timeout connect 1s
	timeout client 1h
	timeout server 1h
listen bench
	bind $1:18081
	server b $2:18080
listen bulk
	bind $1:15202
	server b $2:15201
CONF
}

# The table of a whole run: the median of each row over the repeats, one
# block per pattern, with LEGEND above it and the run's notes below.
report() { # LEGEND
	sort -u "$T/notes" -o "$T/notes"
	medians "$T/rows" > "$T/median"
	for pat in keepalive newconn bulk; do grep "^$pat " "$T/median"; done > "$T/sorted"
	echo "$1"
	echo "Each figure: the median of $REPEAT runs of ${DUR} s."
	table "$T/sorted"
	cat "$T/notes"
}
