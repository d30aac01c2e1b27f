#!/bin/bash
# The tutorial's ingress-nginx install step, offline: `kubectl apply -f` of
# its saved deploy.yaml (controller-v1.9.0, provider cloud) applies without
# an error, every object is there and shown with kube-apiserver's columns,
# the certgen Jobs complete, the stored webhook is never called, and
# `kubectl delete -f` takes it all away again.
. "$(dirname "$0")/lib.sh"
need kubectl curl
DEPLOY=$(dirname "$0")/manifests/ingress-nginx-controller-v1.9.0.yaml
NSI=ingress-nginx
start_k1s

k apply -f "$DEPLOY" >"$TMP/apply.log" 2>&1 || fail "apply deploy.yaml:"$'\n'"$(cat "$TMP/apply.log")"
if grep -Eiv "^[a-z0-9.]+/[a-z0-9-]+ (created|configured)$|^Warning: " "$TMP/apply.log"; then
	fail "apply deploy.yaml printed more than created/configured"
fi
[ "$(grep -c created "$TMP/apply.log")" -ge 18 ] || fail "apply: $(cat "$TMP/apply.log")"
echo "ok - deploy.yaml applies without an error"

# Every object of the file, by kind and name.
for o in namespace/$NSI serviceaccount/ingress-nginx serviceaccount/ingress-nginx-admission \
	role/ingress-nginx role/ingress-nginx-admission rolebinding/ingress-nginx \
	rolebinding/ingress-nginx-admission configmap/ingress-nginx-controller \
	service/ingress-nginx-controller service/ingress-nginx-controller-admission \
	deployment/ingress-nginx-controller job/ingress-nginx-admission-create \
	job/ingress-nginx-admission-patch clusterrole/ingress-nginx \
	clusterrole/ingress-nginx-admission clusterrolebinding/ingress-nginx \
	clusterrolebinding/ingress-nginx-admission ingressclass/nginx \
	validatingwebhookconfiguration/ingress-nginx-admission; do
	k get -n $NSI "$o" >/dev/null 2>&1 || fail "$o is missing: $(k get -n $NSI "$o" 2>&1)"
done
echo "ok - every object of deploy.yaml exists"

# The certgen Jobs run their image's host program and complete.
expect_out "certgen jobs complete" "condition met" \
	k wait -n $NSI --for=condition=complete --timeout=60s \
	job/ingress-nginx-admission-create job/ingress-nginx-admission-patch
expect_out "jobs table" "NAME +STATUS +COMPLETIONS +DURATION +AGE" k get jobs -n $NSI
expect_out "create job Complete 1/1" "ingress-nginx-admission-create +Complete +1/1 +[0-9]+s +[0-9]+s" \
	k get jobs -n $NSI
expect_out "jobs wide" "CONTAINERS +IMAGES +SELECTOR$" \
	k get job ingress-nginx-admission-create -n $NSI -o wide
expect_out "jobs wide row" " create +registry.k8s.io/ingress-nginx/kube-webhook-certgen:[^ ]+ +batch.kubernetes.io/controller-uid=" \
	k get job ingress-nginx-admission-create -n $NSI -o wide
expect_out "job pod Completed" "ingress-nginx-admission-create-[a-z0-9]{5} +0/1 +Completed" \
	k get pods -n $NSI -l batch.kubernetes.io/job-name=ingress-nginx-admission-create
expect_out "job conditions" "SuccessCriteriaMet Complete" \
	k get job ingress-nginx-admission-patch -n $NSI -o 'jsonpath={.status.conditions[*].type}'

# The new kinds, with kube-apiserver's columns.
expect_out "serviceaccounts" "^NAME +SECRETS +AGE$" k get sa -n $NSI
expect_out "serviceaccount row" "^ingress-nginx +0 +[0-9]+s$" k get sa -n $NSI
expect_out "roles" "^NAME +CREATED AT$" k get roles -n $NSI
expect_out "role row" "^ingress-nginx +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" k get roles -n $NSI
expect_out "clusterroles" "ingress-nginx-admission +[0-9]{4}-" k get clusterrole ingress-nginx-admission
expect_out "rolebindings wide" "^NAME +ROLE +AGE +USERS +GROUPS +SERVICEACCOUNTS$" \
	k get rolebinding ingress-nginx -n $NSI -o wide
expect_out "rolebinding row" "^ingress-nginx +Role/ingress-nginx +[0-9]+s +ingress-nginx/ingress-nginx$" \
	k get rolebinding ingress-nginx -n $NSI -o wide
expect_out "clusterrolebindings" "ingress-nginx +ClusterRole/ingress-nginx +" k get clusterrolebinding ingress-nginx
expect_out "webhook configurations" "^NAME +WEBHOOKS +AGE$" k get validatingwebhookconfigurations
expect_out "webhook configuration row" "^ingress-nginx-admission +1 +[0-9]+s$" \
	k get validatingwebhookconfigurations
expect_out "mutating webhooks are served" "No resources found" k get mutatingwebhookconfigurations
expect_out "explain job" "backoffLimit.*<integer>" k explain job.spec.backoffLimit
expect_out "explain rolebinding" "FIELD: subjects <\[\]Subject>" k explain rolebinding.subjects
expect_out "explain webhook" "caBundle.*<string>" k explain validatingwebhookconfiguration.webhooks.clientConfig
expect_out "sa short name" "ingress-nginx-admission" k get sa/ingress-nginx-admission -n $NSI -o name

# The controller Deployment's pod spec (service account, security
# contexts, secret volume, preStop, probes) is admitted: its pod exists.
wait_for "controller pod created" 20 \
	sh -c "kubectl -s $SERVER get pods -n $NSI -l app.kubernetes.io/component=controller -o name | grep -q pod/ingress-nginx-controller-"
if k get events -n $NSI 2>&1 | grep -q FailedCreate; then
	fail "a pod was refused: $(k get events -n $NSI | grep FailedCreate)"
fi

# The webhook configuration is stored, never called: an Ingress that it
# would send to a service with no endpoints (failurePolicy Fail) is created.
expect_out "webhook not called" "ingress.networking.k8s.io/app created" \
	k create ingress app --class=nginx --rule="myapp.com/=web:80"
k delete ingress app >/dev/null

# Applied again, nothing changes and nothing fails.
k apply -f "$DEPLOY" >"$TMP/apply2.log" 2>&1 || fail "apply again: $(cat "$TMP/apply2.log")"
if grep -Eiv "unchanged$|configured$" "$TMP/apply2.log"; then
	fail "apply again printed more than unchanged/configured"
fi
echo "ok - applied again"

# The generators kubectl sends as protobuf.
expect_out "create job" "job.batch/once created" k create job once --image=busybox -- true
expect_out "created job completes" "condition met" k wait --for=condition=complete --timeout=60s job/once
expect_out "create serviceaccount" "serviceaccount/bot created" k create serviceaccount bot
expect_out "create role" "role.rbac.authorization.k8s.io/reader created" \
	k create role reader --verb=get,list --resource=pods,services
expect_out "role rules" '\["get","list"\] \["pods","services"\]' \
	k get role reader -o 'jsonpath={.rules[0].verbs} {.rules[0].resources}'
expect_out "create rolebinding" "rolebinding.rbac.authorization.k8s.io/read created" \
	k create rolebinding read --role=reader --serviceaccount=default:bot --user=alice
expect_out "rolebinding wide" "read +Role/reader +[0-9]+s +alice +default/bot" k get rolebinding read -o wide
expect_out "create clusterrole" "clusterrole.rbac.authorization.k8s.io/viewer created" \
	k create clusterrole viewer --verb=get --non-resource-url=/healthz
expect_out "create clusterrolebinding" "clusterrolebinding.rbac.authorization.k8s.io/view created" \
	k create clusterrolebinding view --clusterrole=viewer --group=devs
expect_out "clusterrolebinding wide" "view +ClusterRole/viewer +[0-9]+s +devs" \
	k get clusterrolebinding view -o wide
expect_err "a Job refuses restartPolicy Always" \
	'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"' \
	k create -f - <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: always}
spec:
  template:
    spec:
      restartPolicy: Always
      containers: [{name: c, image: busybox}]
YAML

# Deleted as it was applied: every object goes, the namespace last.
k delete -f "$DEPLOY" >"$TMP/delete.log" 2>&1 || fail "delete -f: $(cat "$TMP/delete.log")"
if grep -v '" deleted$' "$TMP/delete.log"; then
	fail "delete -f printed more than deleted"
fi
echo "ok - delete -f deletes everything"
expect_err "namespace gone" "NotFound" k get ns $NSI
expect_err "cluster-scoped objects gone" "NotFound" k get clusterrole ingress-nginx
expect_out "no job pods left" "No resources found" k get pods -n $NSI
