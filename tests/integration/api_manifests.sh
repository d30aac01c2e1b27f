#!/bin/bash
# Every tutorial manifest applies with the real kubectl ("created"), applies
# again unchanged, and kubectl shows what kube-apiserver would.
. "$(dirname "$0")/lib.sh"
need kubectl curl python3
start_k1s

# Each file applies ("created"), then applies again as it is ("unchanged").
# (07 also carries 01's api-service, which it reconfigures.)
# kubectl computes its patches from the served OpenAPI v3 (-v=5 says when it
# cannot and falls back to its compiled-in types).
for f in "$MANIFESTS"/0*.yaml; do
	case $f in *03-*) continue ;; esac	# 03 changes 02's service: below
	expect_out "apply $(basename "$f")" "created" k apply -f "$f"
	k apply -f "$f" -v=5 >"$TMP/apply.log" 2>&1 || fail "apply $(basename "$f") again"
	grep -q unchanged "$TMP/apply.log" || fail "apply $(basename "$f") again: not unchanged"
	if grep -E "OpenAPI V3 path does not|error calculating patch" "$TMP/apply.log"; then
		fail "apply $(basename "$f"): kubectl fell back from the OpenAPI v3 documents"
	fi
	if k apply -f "$f" 2>&1 | grep -Eq "created|configured"; then
		fail "another apply of $(basename "$f") changed something"
	fi
done

expect_out "NodePort shows 80:30080/TCP" "web-service +NodePort +10\.(9[6-9]|10[0-9]|11[01])\.[0-9.]+ +<none> +80:30080/TCP" \
	k get svc web-service
expect_out "apply 03 changes the type" "service/web-service configured" \
	k apply -f "$MANIFESTS/03-loadbalancer-service.yaml"
expect_out "LoadBalancer shows its node port" "web-service +LoadBalancer +10\.[0-9.]+ +[^ ]+ +80:3[0-9]{4}/TCP" \
	k get svc web-service
expect_out "ClusterIP service" "api-service +ClusterIP +10\.(9[6-9]|10[0-9]|11[01])\.[0-9]+\.[0-9]+ +<none> +80/TCP" \
	k get svc api-service
expect_out "wide adds SELECTOR" "SELECTOR.*|app=api" k get svc api-service -o wide
expect_out "ingress table" "app-ingress +nginx +myapp.com,admin.myapp.com +[^ ]* *80 " k get ingress
expect_out "tls ingress ports" "secure-ingress +nginx +myapp.com +[^ ]* *80, 443" k get ingress
expect_out "networkpolicy table" "api-network-policy +app=api" k get networkpolicy
expect_out "deployments listed" "api +[0-3]/3 " k get deploy
expect_out "system namespaces" "kube-node-lease" k get ns
expect_out "kube-dns service" "kube-dns +ClusterIP +10\.96\.0\.10 +<none> +53/UDP,53/TCP" \
	k get svc -n kube-system
expect_out "kubernetes service" "kubernetes +ClusterIP +10\.96\.0\.1 +<none> +443/TCP" k get svc
expect_out "the node is Ready" " Ready " k get nodes
expect_out "ingressclass nginx" "nginx +k8s.io/ingress-nginx" k get ingressclass
expect_out "all namespaces" "kube-system +kube-dns" k get svc -A

# A changed file re-applies as a strategic merge patch computed from the
# served schemas: list entries go by their merge keys (ports by port,
# containers and env by name), and what the server filled in stays.
cat >"$TMP/smp.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: smp}
spec:
  type: NodePort
  selector: {app: smp}
  ports: [{name: http, port: 80}, {name: https, port: 443}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: smp}
spec:
  replicas: 0
  selector: {matchLabels: {app: smp}}
  template:
    metadata: {labels: {app: smp}}
    spec:
      containers:
      - name: web
        image: web:1
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
EOF
k apply -f "$TMP/smp.yaml" >/dev/null || fail "apply smp.yaml"
np=$(k get svc smp -o jsonpath='{.spec.ports[0].nodePort}')
sed -i -e 's/, {name: https, port: 443}//' -e 's/, {name: B, value: "2"}//' \
	-e 's/web:1/web:2/' "$TMP/smp.yaml"
k apply -f "$TMP/smp.yaml" -v=8 >"$TMP/apply.log" 2>&1 || fail "re-apply smp.yaml"
grep -q "Content-Type: application/strategic-merge-patch+json" "$TMP/apply.log" ||
	fail "re-apply did not send a strategic merge patch"
if grep -E "OpenAPI V3 path does not|error calculating patch" "$TMP/apply.log"; then
	fail "re-apply fell back from the OpenAPI v3 documents"
fi
expect_out "a removed port is gone, the node port kept" "^http:80:$np;\$" \
	k get svc smp -o jsonpath='{range .spec.ports[*]}{.name}:{.port}:{.nodePort};{end}'
expect_out "a removed env entry is gone, the image changed" "^web web:2 A=1;\$" \
	k get deploy smp -o jsonpath='{range .spec.template.spec.containers[*]}{.name} {.image} {range .env[*]}{.name}={.value};{end}{end}'
echo "1..1 passed"
