#!/bin/bash
# The live page in a real browser (Debian's headless Chromium), as a
# learner sees it: over the tutorial's full stack, Ingress and
# NetworkPolicy, the page draws the namespaces, the Deployments' pods
# with their IPs and readiness, the Services with type, cluster IP,
# ports and the endpoints they pick, the Ingress's hosts and paths and
# the policy; `kubectl scale` and `kubectl delete pod` show up as they
# happen (watches). Flows made with curl in the pods (through
# api-service, and one the policy drops) appear in the flow table, the
# denied one with the policy's name. On the HTTPS port the page wants the
# token: 401 and the login form without it, 401 for a wrong one, a
# cookie (HttpOnly, Secure, SameSite=Strict) for the right one, with
# which GETs work and writes do not; and Chromium logs in through the
# form. Screenshots are kept in build/meson-logs/ui_browser/ (the test
# prints where). Needs root (pods, nftables).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium is not installed"; exit 77; }
need kubectl curl python3 timeout
CDP="python3 $(dirname "$0")/ui_cdp.py"
ART=${UI_ARTIFACTS:-$(cd "$(dirname "$K1S")" && pwd)/meson-logs/ui_browser}
mkdir -p "$ART"

start_k1s
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "SKIP: $(grep -o 'pods cannot run.*' "$TMP/k1s.log")"
	exit 77
fi
BROWSER_PID=
finish() {
	[ -n "$BROWSER_PID" ] && { kill "$BROWSER_PID" 2>/dev/null; wait "$BROWSER_PID" 2>/dev/null; }
	[ -n "$K1S_PID" ] && { k delete pods,deployments,services,networkpolicies,ingresses --all \
		--wait=false >/dev/null 2>&1 || true; }
	cleanup
}
trap finish EXIT

# The tutorial's full stack and Ingress, and a pod of another app, which
# the policy will keep from the api pods.
k apply -f "$MANIFESTS/07-full-stack.yaml" >/dev/null
k apply -f "$MANIFESTS/04-ingress.yaml" >/dev/null
k create deployment other --image=my-other:1.0 --port=8080 >/dev/null
wait_until "frontend 2, api 3, other 1 ready" 90 \
	'test "$(ready_count app=frontend)$(ready_count app=api)$(ready_count app=other)" = 231'
wait_until "api-service's endpoints" 20 'test "$(ep_count api-service)" = 3'

# The browser, on the page of the plain port, as on the box itself.
PROFILE=$TMP/chromium
"$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$PROFILE" \
	--remote-debugging-port=0 --ignore-certificate-errors --window-size=1400,1000 \
	"$SERVER/ui/" >"$TMP/chromium.log" 2>&1 &
BROWSER_PID=$!
wait_for "chromium's DevTools port" 30 test -s "$PROFILE/DevToolsActivePort"
# page_wait WHAT SECS EXPR: EXPR (JavaScript) is true in the page in time.
page_wait() {
	local out
	out=$($CDP "$PROFILE" wait "$2" "$3" 2>&1) || fail "$1: $out"$'\n'"--- chromium"$'\n'"$(tail -n 5 "$TMP/chromium.log")"
	echo "ok - $1"
}
page_eval() { $CDP "$PROFILE" eval "$1"; }
# shot NAME: a screenshot, kept; with UI_DOCS_PNG=docs/ui.png the last one
# taken is also the README's.
shot() {
	$CDP "$PROFILE" screenshot "$ART/$1.png" || fail "screenshot $1"
	echo "# screenshot: $ART/$1.png"
	if [ -n "${UI_DOCS_PNG:-}" ]; then cp "$ART/$1.png" "$UI_DOCS_PNG"; fi
}

# The topology, as the store has it.
page_wait "the page says it is live" 30 \
	"document.getElementById('status').dataset.state === 'live'"
page_wait "the three api pods, ready, with their IPs" 20 \
	"[...document.querySelectorAll('[data-pod^=\"default/api-\"]')].filter(e => e.dataset.ready === 'true' && /^10\\.244\\./.test(e.dataset.ip)).length === 3"
page_wait "the two frontend pods, in Deployment frontend" 10 \
	"document.querySelectorAll('[data-deployment=\"default/frontend\"] [data-pod^=\"default/frontend-\"]').length === 2"
CIP=$(k get svc api-service -o jsonpath='{.spec.clusterIP}')
page_wait "api-service: ClusterIP $CIP, port 80->3000, three endpoints" 10 \
	"(s => s && s.dataset.type === 'ClusterIP' && s.dataset.clusterIp === '$CIP' && s.textContent.includes('80\u21923000/TCP') && s.dataset.endpoints.split(' ').length === 3)(document.querySelector('[data-service=\"default/api-service\"]'))"
page_wait "an edge from api-service to each of its endpoints" 10 \
	"document.querySelectorAll('path.edge[data-from=\"default/api-service\"]').length === 3"
page_wait "frontend-service and the system's kube-dns" 10 \
	"!!document.querySelector('[data-service=\"default/frontend-service\"]') && !!document.querySelector('[data-service=\"kube-system/kube-dns\"]')"
ING=$(k get ingress -o jsonpath='{.items[0].metadata.name}')
HOST=$(k get ingress "$ING" -o jsonpath='{.spec.rules[0].host}')
page_wait "Ingress $ING: its host $HOST and an edge to a Service" 10 \
	"(i => i && i.textContent.includes('$HOST') && document.querySelectorAll('path.ing-edge[data-from=\"default/$ING\"]').length > 0)(document.querySelector('[data-ingress=\"default/$ING\"]'))"
page_wait "namespaces as areas" 10 \
	"!!document.querySelector('g.ns[data-namespace=\"default\"]') && !!document.querySelector('g.ns[data-namespace=\"kube-system\"]')"
shot topology

# Live: what kubectl changes, the page shows, without a reload.
page_eval "window.k1sLoaded = 1" >/dev/null
k scale deployment api --replicas=4 >/dev/null
page_wait "kubectl scale: a fourth api pod appears" 60 \
	"document.querySelectorAll('[data-pod^=\"default/api-\"]').length === 4 && document.querySelector('[data-service=\"default/api-service\"]').dataset.endpoints.split(' ').length === 4"
GONE=$(k get pods -l app=api -o jsonpath='{.items[0].metadata.name}')
k delete pod "$GONE" --wait=false >/dev/null
page_wait "kubectl delete pod: $GONE leaves the page" 60 \
	"!document.querySelector('[data-pod=\"default/$GONE\"]') && [...document.querySelectorAll('[data-pod^=\"default/api-\"]')].filter(e => e.dataset.ready === 'true').length === 4"
[ "$(page_eval 'window.k1sLoaded')" = 1 ] || fail "the page was reloaded"
echo "ok - the page followed without a reload"
k apply -f "$MANIFESTS/06-network-policy.yaml" >/dev/null
page_wait "the NetworkPolicy: what it isolates and allows" 20 \
	"(p => p && p.textContent.includes('isolates app=api (Ingress, Egress)') && p.textContent.includes('in: from app=frontend on TCP 3000') && p.textContent.includes('out: to app=database on TCP 5432'))(document.querySelector('[data-policy=\"default/api-network-policy\"]'))"
page_wait "the api pods are marked as isolated" 10 \
	"[...document.querySelectorAll('[data-pod^=\"default/api-\"]')].every(e => e.textContent.includes('isolated by api-network-policy'))"
shot topology-policy

# The HTTPS port: the login, with curl as a script would.
HTTPS=https://127.0.0.1:$SPORT
D=$TMP/data
wait_for "k1s.conf is written" 10 test -s "$D/k1s.conf"
TOKEN=$(cat "$D/admin.token")
c() { curl -s --cacert "$D/ca.crt" "$@"; }
code=$(c -o "$TMP/body" -D "$TMP/head" -w '%{http_code}' "$HTTPS/ui/")
[ "$code" = 401 ] && grep -q '<form id="login" method="post" action="/ui/login">' "$TMP/body" &&
	grep -qi '^content-type: text/html' "$TMP/head" || fail "HTTPS /ui/ without a token: $code $(cat "$TMP/body")"
echo "ok - HTTPS /ui/ without a token: 401 and the login form"
code=$(c -o /dev/null -w '%{http_code}' "$HTTPS/api/v1/pods")
[ "$code" = 401 ] || fail "HTTPS /api/v1/pods without a token: $code"
code=$(c -o "$TMP/body" -w '%{http_code}' "$HTTPS/ui/app.js")
[ "$code" = 401 ] && grep -q 'id="login"' "$TMP/body" || fail "HTTPS /ui/app.js without a token: $code"
code=$(c -o /dev/null -w '%{http_code}' "$HTTPS/ui/style.css")
[ "$code" = 200 ] || fail "HTTPS /ui/style.css (the login form's) without a token: $code"
echo "ok - without a token the page's files are 401 too, but the form's style"
code=$(c -o "$TMP/body" -D "$TMP/head" -w '%{http_code}' --data-urlencode "token=x${TOKEN:1}" "$HTTPS/ui/login")
[ "$code" = 401 ] && grep -q 'id="login-error"' "$TMP/body" && ! grep -qi '^set-cookie' "$TMP/head" ||
	fail "a wrong token: $code $(cat "$TMP/head")"
echo "ok - a wrong token: 401, the form again, no cookie"
big=$(head -c 2000 /dev/zero | tr '\0' a)
code=$(c -o /dev/null -w '%{http_code}' --data "token=$big" "$HTTPS/ui/login")
[ "$code" = 413 ] || fail "a login body of 2000 bytes: $code"
echo "ok - a login body past 1 KiB: 413"
code=$(c -o /dev/null -D "$TMP/head" -w '%{http_code}' --data-urlencode "token=$TOKEN" "$HTTPS/ui/login")
[ "$code" = 303 ] && grep -qi '^location: /ui/' "$TMP/head" || fail "the right token: $code $(cat "$TMP/head")"
grep -Eqi '^set-cookie: k1s-ui=[0-9a-f]{64}; HttpOnly; Secure; SameSite=Strict; Path=/' "$TMP/head" ||
	fail "the cookie: $(grep -i set-cookie "$TMP/head")"
COOKIE=$(grep -i '^set-cookie' "$TMP/head" | sed 's/^[^:]*: *//; s/;.*//')
[[ $COOKIE != *"$TOKEN"* ]] || fail "the cookie holds the token"
echo "ok - the right token: 303 to /ui/ and a cookie (HttpOnly, Secure, SameSite=Strict), not the token"
for p in /ui/ /ui/app.js /api/v1/pods "/api/v1/pods?watch=true&timeoutSeconds=1"; do
	code=$(c -o /dev/null -w '%{http_code}' -b "$COOKIE" "$HTTPS$p")
	[ "$code" = 200 ] || fail "GET $p with the cookie: $code"
done
echo "ok - GETs with the cookie: the page, a list, a watch"
code=$(c -o /dev/null -w '%{http_code}' -b "$COOKIE" -H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"by-cookie"}}' \
	"$HTTPS/api/v1/namespaces/default/configmaps")
[ "$code" = 401 ] || fail "a POST with the cookie only: $code"
code=$(c -o /dev/null -w '%{http_code}' -b "$COOKIE" -X DELETE "$HTTPS/api/v1/namespaces/default/pods/$(k get pods -l app=other -o jsonpath='{.items[0].metadata.name}')")
[ "$code" = 401 ] || fail "a DELETE with the cookie only: $code"
code=$(c -o /dev/null -w '%{http_code}' -b "$COOKIE" "$HTTPS/k1s/kubeconfig")
[ "$code" = 401 ] || fail "the kubeconfig (it holds the token) with the cookie: $code"
k get configmap by-cookie >/dev/null 2>&1 && fail "a POST with the cookie created a ConfigMap"
[ "$(ready_count app=other)" = 1 ] || fail "a DELETE with the cookie deleted a pod"
code=$(c -o /dev/null -w '%{http_code}' -b "k1s-ui=${COOKIE#k1s-ui=}x" "$HTTPS/api/v1/pods")
[ "$code" = 401 ] || fail "another cookie: $code"
echo "ok - with the cookie only: POST, DELETE and the kubeconfig get 401, and nothing changes"

# Chromium logs in through the form on the HTTPS port, and the page is live there.
HPROFILE=$TMP/chromium-https
"$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$HPROFILE" \
	--remote-debugging-port=0 --ignore-certificate-errors --window-size=1400,1000 \
	"$HTTPS/ui/" >"$TMP/chromium-https.log" 2>&1 &
HBROWSER=$!
wait_for "the second chromium's DevTools port" 30 test -s "$HPROFILE/DevToolsActivePort"
$CDP "$HPROFILE" wait 20 "!!document.querySelector('form#login input[name=token]')" ||
	fail "chromium shows no login form on HTTPS"
$CDP "$HPROFILE" eval "document.querySelector('input[name=token]').value = '$TOKEN'; document.getElementById('login').submit(); 1" >/dev/null
$CDP "$HPROFILE" wait 30 "document.querySelectorAll('[data-pod^=\"default/api-\"]').length === 4" ||
	{ kill "$HBROWSER"; fail "chromium logged in on HTTPS does not show the pods"; }
kill "$HBROWSER" 2>/dev/null; wait "$HBROWSER" 2>/dev/null || true
echo "ok - chromium logs in through the form on HTTPS and the page shows the pods"

# Flows: a learner's curl through api-service from a frontend pod, and
# one the policy drops (app=other -> an api pod).
curl_from() {
	local pod=$1 url=$2
	timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec "$pod" -- \
		curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true
}
FE=$(k get pods -l app=frontend -o jsonpath='{.items[0].metadata.name}')
OTHER=$(k get pods -l app=other -o jsonpath='{.items[0].metadata.name}')
API_IP=$(k get pods -l app=api -o jsonpath='{.items[0].status.podIP}')
[ "$(curl_from "$FE" "http://$CIP/")" = 200 ] || fail "frontend -> api-service"
curl_from "$OTHER" "http://$API_IP:3000/" >/dev/null
shot flows-before-check
page_wait "the flow table: $FE -> api-service -> an api pod, Allowed" 20 \
	"!!document.querySelector('tr.flow[data-verdict=\"Allowed\"][data-source=\"default/$FE\"][data-service=\"default/api-service\"][data-destination^=\"default/api-\"]')"
page_wait "a denied flow, in red, with the policy that denied it" 20 \
	"(r => r && r.textContent.includes('default/api-network-policy') && getComputedStyle(r).color === 'rgb(183, 28, 28)')(document.querySelector('tr.flow[data-verdict=\"Denied\"][data-source=\"default/$OTHER\"]'))"
# A DNS query from a pod: its name and answer in the table.
if command -v nslookup >/dev/null; then
	timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec "$FE" -- \
		nslookup -timeout=2 -retry=1 api-service >/dev/null || fail "nslookup api-service in $FE"
	page_wait "a DNS flow: api-service's name and its cluster IP" 20 \
		"[...document.querySelectorAll('tr.flow[data-module=\"dns\"]')].some(r => r.textContent.includes('api-service.default.svc.cluster.local') && r.textContent.includes('$CIP'))"
fi
page_eval "document.getElementById('f-verdict').value = 'Denied'; document.getElementById('f-verdict').dispatchEvent(new Event('input')); 1" >/dev/null
page_wait "the verdict filter shows denied flows only" 5 \
	"[...document.querySelectorAll('tr.flow:not(.hidden)')].every(r => r.dataset.verdict === 'Denied')"
page_eval "document.getElementById('f-verdict').value = ''; document.getElementById('f-verdict').dispatchEvent(new Event('input')); 1" >/dev/null
shot flows
echo "# screenshots in $ART"
