#!/bin/bash
# NetworkPolicy through the API as kubectl meets it: the tutorial's policy
# and what `get` and `describe` show of it (kubectl describes client side,
# from the object kube-apiserver would serve: defaults included); invalid
# policies refused with kube-apiserver 1.32's 422, field paths and
# messages word for word, on create and on update; the namespace label
# that namespaceSelectors match on.
. "$(dirname "$0")/lib.sh"
need kubectl curl python3
start_k1s
D=$(dirname "$0")/netpol_api

k apply -f "$MANIFESTS/06-network-policy.yaml" >/dev/null
expect_out "get netpol columns" "^NAME +POD-SELECTOR +AGE" k get netpol
expect_out "get netpol row" "^api-network-policy +app=api +[0-9]+s" k get netpol
k describe netpol api-network-policy >"$TMP/describe" 2>&1 || fail "describe: $(cat "$TMP/describe")"
# The lines as NetworkPolicyDescriber prints them, in order.
python3 - "$TMP/describe" <<'PY' || fail "describe: $(cat "$TMP/describe")"
import re, sys
want = [r"Name: +api-network-policy$", r"Namespace: +default$", r"Created on: +\d{4}-",
        r"Spec:$", r"  PodSelector: +app=api$", r"  Allowing ingress traffic:$",
        r"    To Port: 3000/TCP$", r"    From:$", r"      PodSelector: app=frontend$",
        r"  Allowing egress traffic:$", r"    To Port: 5432/TCP$", r"    To:$",
        r"      PodSelector: app=database$", r"    -{10}$", r"    To Port: 53/UDP$", r"    To:$",
        r"      NamespaceSelector: <none>$", r"  Policy Types: Ingress, Egress$"]
lines = open(sys.argv[1]).read().splitlines()
i = 0
for w in want:
    while i < len(lines) and not re.match(w, lines[i]):
        i += 1
    if i == len(lines):
        sys.exit("missing, in order: " + w)
    i += 1
PY
echo "ok - describe netpol shows the tutorial's rules"

# An empty podSelector (every pod of the namespace) is shown as <none>.
k create namespace x >/dev/null
printf '%s\n' 'apiVersion: networking.k8s.io/v1' 'kind: NetworkPolicy' \
	'metadata: {name: default-deny, namespace: x}' 'spec: {podSelector: {}}' |
	k apply -f - >/dev/null
expect_out "get netpol -A, an empty selector" "^x +default-deny +<none> +[0-9]+s" k get netpol -A
expect_out "default-deny is Ingress only" "^\[\"Ingress\"\]$" \
	k get netpol -n x default-deny -o jsonpath='{.spec.policyTypes}'
expect_out "describe an empty selector" "PodSelector: +<none> \(Allowing the specific traffic to all pods in this namespace\)" \
	k describe netpol -n x default-deny
expect_out "describe an isolating policy" "^ +<none> \(Selected pods are isolated for ingress connectivity\)" \
	k describe netpol -n x default-deny

# Defaults written on create: policyTypes from the rules, TCP on each port.
k apply -f "$D/defaults.yaml" >/dev/null
expect_out "policyTypes defaulted with egress rules" "^Ingress Egress$" \
	k get netpol defaults -o jsonpath='{.spec.policyTypes[0]} {.spec.policyTypes[1]}'
expect_out "protocol defaulted to TCP" "^TCP TCP UDP$" \
	k get netpol defaults -o jsonpath='{.spec.ingress[0].ports[0].protocol} {.spec.egress[0].ports[1].protocol} {.spec.egress[0].ports[0].protocol}'
expect_out "describe a port range and an ipBlock" "To Port Range: 8080-8090/TCP" k describe netpol defaults
expect_out "describe the ipBlock's except" "Except: 10.1.0.0/16" k describe netpol defaults
expect_out "describe an egress rule with no peers" "To: <any> \(traffic not restricted by destination\)" \
	k describe netpol defaults
expect_out "namespaces carry kubernetes.io/metadata.name" "kubernetes.io/metadata.name=default" \
	k get ns default --show-labels

# Invalid policies, refused with kubectl's rendering of the 422.
expect_err "bad CIDR" \
	'^The NetworkPolicy "bad-cidr" is invalid: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: Invalid value: "10\.0\.0\.0/33": not a valid CIDR$' \
	k apply -f "$D/bad-cidr.yaml"
expect_err "except outside the cidr" \
	'^\* spec\.egress\[0\]\.to\[0\]\.ipBlock\.except\[0\]: Invalid value: "192\.168\.0\.0/24": must be a strict subset of `cidr`$' \
	k apply -f "$D/bad-except.yaml"
expect_err "except equal to the cidr" \
	'^\* spec\.egress\[0\]\.to\[0\]\.ipBlock\.except\[1\]: Invalid value: "10\.0\.0\.0/16": must be a strict subset of `cidr`$' \
	k apply -f "$D/bad-except.yaml"
expect_err "port name too long" \
	'^The NetworkPolicy "bad-port-name" is invalid: spec\.ingress\[0\]\.ports\[0\]\.port: Invalid value: "this-name-is-too-long": must be no more than 15 characters$' \
	k apply -f "$D/bad-port-name.yaml"
expect_err "endPort without port" \
	'^\* spec\.egress\[0\]\.ports\[0\]\.endPort: Invalid value: 90: may not be specified when `port` is not specified$' \
	k apply -f "$D/bad-end-port.yaml"
expect_err "endPort below port" \
	'^\* spec\.egress\[0\]\.ports\[1\]\.endPort: Invalid value: 100: must be greater than or equal to `port`$' \
	k apply -f "$D/bad-end-port.yaml"
expect_err "endPort with a named port" \
	'^\* spec\.egress\[0\]\.ports\[2\]\.endPort: Invalid value: 90: may not be specified when `port` is non-numeric$' \
	k apply -f "$D/bad-end-port.yaml"
expect_err "bad protocol" \
	'spec\.ingress\[0\]\.ports\[0\]\.protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"$' \
	k apply -f "$D/bad-protocol.yaml"
expect_err "peer with nothing" '^\* spec\.ingress\[0\]\.from\[0\]: Required value: must specify a peer$' \
	k apply -f "$D/bad-peer.yaml"
expect_err "ipBlock with a selector" \
	'^\* spec\.ingress\[0\]\.from\[1\]: Forbidden: may not specify both ipBlock and another peer$' \
	k apply -f "$D/bad-peer.yaml"
expect_err "bad policyTypes" \
	'spec\.policyTypes\[0\]: Unsupported value: "Inbound": supported values: "Ingress", "Egress"$' \
	k apply -f "$D/bad-types.yaml"
expect_err "bad selector operator" \
	'spec\.podSelector\.matchExpressions\[0\]\.operator: Invalid value: "Equals": not a valid selector operator$' \
	k apply -f "$D/bad-selector.yaml"
for f in "$D"/bad-*.yaml; do
	n=$(basename "$f" .yaml)
	if k get netpol "$n" >/dev/null 2>&1; then fail "$n was stored"; fi
done
echo "ok - no invalid policy was stored"

# An update is validated as a create is: the stored policy stays.
expect_err "update to an invalid policy" \
	'spec\.egress\[0\]\.ports\[0\]\.endPort: Invalid value: 5432: must be greater than or equal to `port`' \
	k patch netpol api-network-policy --type=json \
	-p '[{"op":"add","path":"/spec/egress/0/ports/0/endPort","value":1}]'
expect_out "the policy is unchanged" "^5432 $" \
	k get netpol api-network-policy -o jsonpath='{.spec.egress[0].ports[0].port} {.spec.egress[0].ports[0].endPort}'

# The 422 itself: a Status whose causes carry the field paths.
code=$(curl -s -o "$TMP/st" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	"$SERVER/apis/networking.k8s.io/v1/namespaces/default/networkpolicies" \
	-d '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"c"},"spec":{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.0.0.0/8"]}}],"ports":[{"port":0}]}]}}')
[ "$code" = 422 ] || fail "POST of an invalid policy: $code $(cat "$TMP/st")"
python3 - "$TMP/st" <<'PY' || fail "422 Status: $(cat "$TMP/st")"
import json, sys
st = json.load(open(sys.argv[1]))
assert st["kind"] == "Status" and st["reason"] == "Invalid" and st["code"] == 422, st
assert st["details"] == {"name": "c", "group": "networking.k8s.io", "kind": "NetworkPolicy",
                         "causes": st["details"]["causes"]}, st["details"]
got = [(c["reason"], c["field"]) for c in st["details"]["causes"]]
assert got == [("FieldValueInvalid", "spec.ingress[0].ports[0].port"),
               ("FieldValueInvalid", "spec.ingress[0].from[0].ipBlock.except[0]")], got
PY
echo "ok - the 422 Status names each field"
