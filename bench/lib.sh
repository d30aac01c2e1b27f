# Shared by the benchmarks (sourced): busy % per core, wrk, and medians
# over repeated runs. They read $T (a scratch directory), $CONNS, $DUR,
# and $RUN, a prefix for the load generators (e.g. `ip netns exec NS`).
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

# CPU time of process PID, all its threads, in jiffies (from /proc/PID/stat:
# utime and stime, fields 14 and 15, counted after the command's ")").
proccpu() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
