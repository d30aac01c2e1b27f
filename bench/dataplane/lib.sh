# Shared by the dataplane benchmarks (sourced): busy % per core and the
# load generators. They read $T (a scratch directory), $CONNS, $DUR, and
# $RUN, a prefix for the load generators (e.g. `ip netns exec NS`).
RUN=${RUN:-}

# Busy jiffies of CPU 0 and CPU 1 and the total per CPU, from /proc/stat.
cpustat() {
	awk '/^cpu[01] / { b = $2 + $3 + $4 + $7 + $8; t = b + $5 + $6; printf "%d %d ", b, t }' /proc/stat
}
# Busy % of each core between two cpustat samples.
busy() {
	echo "$1 $2" | awk '{ t0 = $6 - $2; t1 = $8 - $4
		printf "%.0f %.0f", ($5 - $1) * 100 / (t0 > 0 ? t0 : 1), ($7 - $3) * 100 / (t1 > 0 ? t1 : 1) }'
}

# Requests/s, p50 and p99 (ms), busy % of CPU 0 and 1, for URL and args.
measure() {
	url=$1; shift
	c0=$(cpustat)
	$RUN taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$@" "$url" > "$T/wrk.out" 2>&1 || true
	c1=$(cpustat)
	awk -v busy="$(busy "$c0" "$c1")" '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
			 if (v ~ /s$/) return v * 1000; return v }
	/Requests\/sec/ { rps = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/Non-2xx|Socket errors/ { err = err " " $0 }
	END { printf "%.0f %.2f %.2f %s\n", rps, p50, p99, busy
	      if (err != "") print err > "/dev/stderr" }
	' "$T/wrk.out"
}

# Gbit/s (receiver), -, -, busy % of CPU 0 and 1, for HOST PORT.
bulk() {
	c0=$(cpustat)
	g=$($RUN taskset -c 1 iperf3 -c "$1" -p "$2" -t "$DUR" -f g 2>/dev/null |
		awk '/receiver/ { print $(NF-2) }')
	c1=$(cpustat)
	echo "${g:-0} - - $(busy "$c0" "$c1")"
}


# The median of each column over the runs, per pattern and target, in the
# order first seen, of rows "pattern target figures...".
medians() { # rows file
	awk '
	{ key = $1 " " $2; if (!(key in n)) order[++nk] = key
	  n[key]++; for (c = 3; c <= NF; c++) v[key, c, n[key]] = $c; nf[key] = NF }
	function median(key, c,    i, j, m, a, t) {
		m = n[key]
		for (i = 1; i <= m; i++) a[i] = v[key, c, i]
		if (a[1] == "-") return "-"
		for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return a[int((m + 1) / 2)]
	}
	END { for (k = 1; k <= nk; k++) { key = order[k]; line = key
		for (c = 3; c <= nf[key]; c++) line = line " " median(key, c); print line } }
	' "$1"
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
