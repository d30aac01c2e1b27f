// The official JavaScript client (@kubernetes/client-node) against k1s:
// list, watch, an informer, and a merge patch of a scale subresource.
// Usage: node js_client.mjs URL
import * as k8s from '@kubernetes/client-node';

const NS = 'default';
const server = process.argv[2];

function ok(what) {
	console.log(`ok - ${what}`);
}

function fail(what) {
	console.log(`FAIL: ${what}`);
	process.exit(1);
}

// Resolves with the value `check` returns once it returns one, or fails.
function until(what, check, ms = 10000) {
	return new Promise((resolve) => {
		const end = Date.now() + ms;
		const tick = () => {
			const v = check();
			if (v) return resolve(v);
			if (Date.now() > end) fail(`timed out: ${what}`);
			setTimeout(tick, 50);
		};
		tick();
	});
}

const kc = new k8s.KubeConfig();
kc.loadFromOptions({
	// The client refuses a plain http:// server unless TLS checks are off.
	clusters: [{name: 'k1s', server, skipTLSVerify: true}],
	users: [{name: 'user'}],
	contexts: [{name: 'k1s', cluster: 'k1s', user: 'user'}],
	currentContext: 'k1s',
});
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

const names = (await core.listNamespace()).items.map((n) => n.metadata.name);
if (!names.includes('default') || !names.includes('kube-system')) fail(`listNamespace: ${names}`);
ok('listNamespace');

// Watch: the events of another client's changes, in order.
const events = [];
const watch = new k8s.Watch(kc);
const req = await watch.watch(`/api/v1/namespaces/${NS}/configmaps`, {labelSelector: 'app=js'},
	(type, obj) => events.push(`${type} ${obj.metadata.name} ${obj.data?.a ?? ''}`),
	(err) => err && err.name !== 'AbortError' && fail(`watch ended: ${err}`));
const cm = {metadata: {name: 'js-cm', labels: {app: 'js'}}, data: {a: '1'}};
await core.createNamespacedConfigMap({namespace: NS, body: cm});
await core.patchNamespacedConfigMap({name: 'js-cm', namespace: NS, body: {data: {a: '2'}}},
	mergePatch);
await core.deleteNamespacedConfigMap({name: 'js-cm', namespace: NS});
await until('watch events', () => events.length >= 3);
req.abort();
const want = ['ADDED js-cm 1', 'MODIFIED js-cm 2', 'DELETED js-cm 2'];
if (events.join('|') !== want.join('|')) fail(`watch events: ${events}`);
ok('Watch sees add, patch and delete');

// An informer: list, then watch from the list's resourceVersion.
const cache = new Map();
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${NS}/configmaps`,
	() => core.listNamespacedConfigMap({namespace: NS}));
informer.on('add', (o) => cache.set(o.metadata.name, o.data?.v));
informer.on('update', (o) => cache.set(o.metadata.name, o.data?.v));
informer.on('delete', (o) => cache.delete(o.metadata.name));
// stop() aborts the watch, and the informer reports that as an error too.
informer.on('error', (err) => err.name !== 'AbortError' && fail(`informer: ${err}`));
await core.createNamespacedConfigMap({namespace: NS, body: {metadata: {name: 'before'},
	data: {v: '0'}}});
await informer.start();
if (cache.get('before') !== '0') fail(`informer list: ${[...cache.keys()]}`);
await core.createNamespacedConfigMap({namespace: NS, body: {metadata: {name: 'after'},
	data: {v: '1'}}});
await core.patchNamespacedConfigMap({name: 'before', namespace: NS, body: {data: {v: '2'}}},
	mergePatch);
await core.deleteNamespacedConfigMap({name: 'after', namespace: NS});
await until('informer cache', () => cache.get('before') === '2' && !cache.has('after'));
const listed = informer.list(NS).map((o) => o.metadata.name);
if (!listed.includes('before') || listed.includes('after')) fail(`informer.list: ${listed}`);
await informer.stop();
ok('an informer keeps its cache through add, update and delete');

// The scale subresource, patched as `kubectl scale` does.
await apps.createNamespacedDeployment({namespace: NS, body: {
	metadata: {name: 'js-web'},
	spec: {replicas: 1, selector: {matchLabels: {app: 'js-web'}},
		template: {metadata: {labels: {app: 'js-web'}},
			spec: {containers: [{name: 'web', image: 'js-web:1.0'}]}}},
}});
const scale = await apps.patchNamespacedDeploymentScale({name: 'js-web', namespace: NS,
	body: {spec: {replicas: 3}}}, mergePatch);
if (scale.kind !== 'Scale' || scale.spec.replicas !== 3) fail(`scale patch: ${JSON.stringify(scale)}`);
const dep = await apps.readNamespacedDeployment({name: 'js-web', namespace: NS});
if (dep.spec.replicas !== 3) fail(`deployment replicas ${dep.spec.replicas} after scale`);
ok('patchNamespacedDeploymentScale');
await apps.deleteNamespacedDeployment({name: 'js-web', namespace: NS});

try {
	await core.listNamespacedConfigMap({namespace: NS, limit: 'ten'});
	fail('limit=ten was taken');
} catch (e) {
	if (e.code !== 400 || !String(e.body).includes('invalid syntax')) fail(`limit=ten: ${e}`);
}
ok('a bad limit is a 400');
console.log('1..1 passed');
process.exit(0);
