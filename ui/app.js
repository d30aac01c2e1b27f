// The live page: the cluster as the store has it, drawn, and its flows.
//
// Each kind is listed, then watched from the list's resourceVersion, as
// client-go's reflector does (tools/cache/reflector.go, ListAndWatch and
// watchHandler; "Efficient detection of changes" in the API concepts,
// kubernetes.io/docs/reference/using-api/api-concepts/): ADDED, MODIFIED
// and DELETED change the copy, BOOKMARK moves the resourceVersion on, an
// ERROR with code 410 (the version has left the server's window) lists
// again, and a stream that ends is watched again from where it was. No
// polling.
//
// A browser keeps at most six HTTP/1.1 connections to one server, and a
// watch holds one: so the page watches five things (pods, services,
// ingresses, network policies, flows) and derives the rest as the
// controllers do. A Service's endpoints are the ready pods its selector
// picks; a pod's Deployment is its ReplicaSet's name less the
// pod-template-hash.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const KINDS = [
	{key: 'pods', path: '/api/v1/pods'},
	{key: 'services', path: '/api/v1/services'},
	{key: 'ingresses', path: '/apis/networking.k8s.io/v1/ingresses'},
	{key: 'networkpolicies', path: '/apis/networking.k8s.io/v1/networkpolicies'},
];
const MAX_FLOWS = 500;
const HOT_MS = 1500;

const store = {pods: new Map(), services: new Map(), ingresses: new Map(),
	networkpolicies: new Map()};
const live = new Set();	// the kinds whose watch is open
let watched = KINDS.length + 1;	// the flows' too, unless k1s serves none
let boxes = new Map();	// "pod:ns/name", "svc:ns/name" -> {x, y, w, h, g}

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const keyOf = (o) => (o.metadata.namespace || '') + '/' + o.metadata.name;

// ---- reading the API ----

async function getJSON(path) {
	const r = await fetch(path, {headers: {Accept: 'application/json'}});
	if (r.status === 401)
		location.reload();	// the login form, after a restart of k1s
	if (!r.ok)
		throw Object.assign(new Error(path + ': ' + r.status), {status: r.status});
	return r.json();
}

// Reads a watch stream, one JSON event a line, calling onEvent for each;
// resolves with {gone: true} on a 410, or {rv} when the stream ends.
async function watch(path, rv, onEvent) {
	const sep = path.includes('?') ? '&' : '?';
	const r = await fetch(path + sep + 'watch=true&allowWatchBookmarks=true&resourceVersion=' +
		encodeURIComponent(rv), {headers: {Accept: 'application/json'}});
	if (r.status === 401)
		location.reload();
	if (r.status === 410)
		return {gone: true};
	if (!r.ok)
		throw new Error(path + ' watch: ' + r.status);
	const reader = r.body.getReader();
	const dec = new TextDecoder();
	let buf = '';
	for (;;) {
		const {value, done} = await reader.read();
		if (done)
			return {rv};
		buf += dec.decode(value, {stream: true});
		let nl;
		while ((nl = buf.indexOf('\n')) >= 0) {
			const line = buf.slice(0, nl).trim();
			buf = buf.slice(nl + 1);
			if (!line)
				continue;
			const ev = JSON.parse(line);
			if (ev.type === 'ERROR') {
				if (ev.object && ev.object.code === 410)
					return {gone: true};
				throw new Error(path + ' watch: ' + (ev.object && ev.object.message));
			}
			const m = ev.object && ev.object.metadata;
			if (m && m.resourceVersion)
				rv = m.resourceVersion;
			if (ev.type !== 'BOOKMARK')
				onEvent(ev.type, ev.object);
		}
	}
}

// List, then watch, for ever; onList takes the items, onEvent each event.
// listQuery narrows the list alone ("?limit=N").
async function follow(name, path, onList, onEvent, listQuery = '') {
	for (;;) {
		try {
			const list = await getJSON(path + listQuery);
			let rv = list.metadata.resourceVersion;
			onList(list.items || []);
			live.add(name);
			showStatus();
			for (;;) {
				const w = await watch(path, rv, onEvent);
				if (w.gone)
					break;
				rv = w.rv;
			}
		} catch (e) {
			live.delete(name);
			showStatus(e.message);
			if (e.status === 404 && name === 'flows') {
				$('flows-state').textContent = 'this k1s serves no flows';
				watched = KINDS.length;
				showStatus();
				return;
			}
			await sleep(2000);	// a back-off after a failure, not a poll
		}
	}
}

function showStatus(err) {
	const s = $('status');
	const want = watched;
	s.dataset.state = err ? 'error' : live.size >= want ? 'live' : 'starting';
	s.textContent = err ? err : live.size >= want ? 'live' : 'listing ' + live.size + '/' + want;
}

let drawQueued = false;
function redraw() {
	if (drawQueued)
		return;
	drawQueued = true;
	requestAnimationFrame(() => {
		drawQueued = false;
		draw();
		fillNamespaces();
	});
}

// ---- start ----

function main() {
	for (const k of KINDS) {
		follow(k.key, k.path, (items) => {
			store[k.key] = new Map(items.map((o) => [keyOf(o), o]));
			redraw();
		}, (type, o) => {
			if (type === 'DELETED')
				store[k.key].delete(keyOf(o));
			else
				store[k.key].set(keyOf(o), o);
			redraw();
		});
	}
	follow('flows', '/k1s/flows', (items) => {
		$('flows').tBodies[0].replaceChildren();
		items.slice(-MAX_FLOWS).forEach((f) => addFlow(f, false));
		$('flows-state').textContent = '';
	}, (type, f) => {
		if (type === 'ADDED')
			addFlow(f, true);
	}, '?limit=' + MAX_FLOWS);
	$('f-namespace').addEventListener('change', () => {
		draw();
		[...$('flows').tBodies[0].rows].forEach(filterRow);
	});
	for (const id of ['f-pod', 'f-verdict'])
		$(id).addEventListener('input', () => [...$('flows').tBodies[0].rows].forEach(filterRow));
	$('filters').addEventListener('submit', (e) => e.preventDefault());
}

main();
