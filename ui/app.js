// The live page: the cluster as the store has it, drawn, and its flows.
//
// Each kind is listed, then watched from the list's resourceVersion, as
// client-go's reflector does: ADDED, MODIFIED and DELETED change the
// copy, BOOKMARK moves the resourceVersion on, an ERROR with code 410
// (the version has left the server's window) lists again, and a stream
// that ends is watched again from where it was. No polling.
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

// ---- what the objects mean ----

function matches(sel, labels) {
	if (!sel)
		return false;
	labels = labels || {};
	return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

function labelSelector(ls) {
	if (!ls)
		return 'all pods';
	const parts = Object.entries(ls.matchLabels || {}).map(([k, v]) => k + '=' + v);
	for (const e of ls.matchExpressions || [])
		parts.push(e.key + ' ' + e.operator + ' ' + (e.values || []).join(','));
	return parts.length ? parts.join(',') : 'all pods';
}

function podReady(p) {
	return !p.metadata.deletionTimestamp &&
		((p.status && p.status.conditions) || []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function podGroup(p) {
	const o = (p.metadata.ownerReferences || []).find((r) => r.controller) ||
		(p.metadata.ownerReferences || [])[0];
	if (!o)
		return 'pods';
	const hash = (p.metadata.labels || {})['pod-template-hash'];
	if (o.kind === 'ReplicaSet' && hash && o.name.endsWith('-' + hash))
		return o.name.slice(0, -hash.length - 1);
	return o.name;
}

function endpointsOf(svc) {
	const sel = svc.spec && svc.spec.selector;
	const ns = svc.metadata.namespace;
	return [...store.pods.values()].filter((p) => p.metadata.namespace === ns &&
		matches(sel, p.metadata.labels) && podReady(p) && p.status.podIP);
}

function portText(p) {
	return p.port + (p.targetPort !== undefined && p.targetPort !== p.port ? '\u2192' + p.targetPort : '') +
		'/' + (p.protocol || 'TCP') + (p.nodePort ? ' node ' + p.nodePort : '');
}

function peerText(peer) {
	if (peer.ipBlock)
		return peer.ipBlock.cidr;
	const parts = [];
	if (peer.namespaceSelector) {
		const ns = labelSelector(peer.namespaceSelector);
		parts.push(ns === 'all pods' ? 'all namespaces' : 'namespaces ' + ns);
	}
	if (peer.podSelector)
		parts.push(labelSelector(peer.podSelector));
	return parts.join(' / ');
}

function ruleText(dir, rule) {
	const peers = rule[dir === 'in' ? 'from' : 'to'];
	const who = peers && peers.length ? peers.map(peerText).join(' or ') : 'anywhere';
	const ports = (rule.ports || []).map((p) => (p.protocol || 'TCP') + ' ' + (p.port || 'any'));
	return dir + ': ' + (dir === 'in' ? 'from ' : 'to ') + who +
		(ports.length ? ' on ' + ports.join(', ') : '');
}

function policyLines(np) {
	const s = np.spec || {};
	const types = s.policyTypes || (s.egress ? ['Ingress', 'Egress'] : ['Ingress']);
	const lines = ['isolates ' + labelSelector(s.podSelector) + ' (' + types.join(', ') + ')'];
	if (types.includes('Ingress'))
		lines.push(...(s.ingress || []).map((r) => ruleText('in', r)));
	if (types.includes('Egress'))
		lines.push(...(s.egress || []).map((r) => ruleText('out', r)));
	if (lines.length === 1)
		lines.push('allows nothing');
	return lines;
}

// ---- drawing ----

function el(tag, attrs, parent, text) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {}))
		e.setAttribute(k, v);
	if (text !== undefined)
		e.textContent = text;
	if (parent)
		parent.appendChild(e);
	return e;
}

// A box of lines of text; the first in bold.
function box(parent, cls, x, y, w, lines, data) {
	const h = 10 + 16 * lines.length;
	const g = el('g', {class: cls, transform: 'translate(' + x + ',' + y + ')'}, parent);
	for (const [k, v] of Object.entries(data))
		g.setAttribute('data-' + k, v);
	el('rect', {class: 'box', width: w, height: h, rx: 5}, g);
	lines.forEach((t, i) => el('text', {x: 8, y: 19 + 16 * i, class: i ? 'small' : 'name'}, g, t));
	return {x, y, w, h, g};
}

function namespaces() {
	const set = new Set();
	for (const m of Object.values(store))
		for (const o of m.values())
			set.add(o.metadata.namespace);
	return [...set].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
}

function draw() {
	const svg = $('topology');
	const only = $('f-namespace').value;
	svg.replaceChildren();
	const defs = el('defs', {}, svg);
	const mk = el('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5,
		markerWidth: 6, markerHeight: 6, orient: 'auto'}, defs);
	el('path', {d: 'M0,0 L10,5 L0,10 z', fill: '#555'}, mk);
	boxes = new Map();
	let y = 8;
	for (const ns of namespaces()) {
		if (only && ns !== only)
			continue;
		y = drawNamespace(svg, ns, y) + 12;
	}
	el('g', {id: 'flow-layer'}, svg);
	svg.setAttribute('height', Math.max(y, 100));
}

const inNs = (m, ns) => [...m.values()].filter((o) => o.metadata.namespace === ns)
	.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

function drawNamespace(svg, ns, top) {
	const area = el('g', {class: 'ns', 'data-namespace': ns}, svg);
	const rect = el('rect', {class: 'ns-area', x: 4, y: top, width: 1350, rx: 8}, area);
	el('text', {class: 'ns-title', x: 14, y: top + 20}, area, 'namespace ' + ns);
	const edges = el('g', {}, area);
	const col = {ing: top + 32, svc: top + 32, dep: top + 32};

	// Deployments (and other owners) with their pods, three a row.
	const groups = new Map();
	for (const p of inNs(store.pods, ns)) {
		const g = podGroup(p);
		groups.set(g, [...(groups.get(g) || []), p]);
	}
	const isolated = new Map();
	for (const np of inNs(store.networkpolicies, ns))
		for (const p of inNs(store.pods, ns))
			if (selects(np.spec && np.spec.podSelector, p))
				isolated.set(keyOf(p), np.metadata.name);
	for (const [name, pods] of groups) {
		const g = el('g', {class: 'deploy', 'data-deployment': ns + '/' + name}, area);
		const rows = Math.ceil(pods.length / 3);
		const h = 30 + rows * 64;
		el('rect', {class: 'box', x: 600, y: col.dep, width: 740, height: h, rx: 5}, g);
		el('text', {class: 'name', x: 608, y: col.dep + 19}, g,
			name + '  (' + pods.filter(podReady).length + '/' + pods.length + ' ready)');
		pods.forEach((p, i) => {
			const ready = podReady(p);
			const b = box(g, 'pod', 608 + (i % 3) * 244, col.dep + 28 + Math.floor(i / 3) * 64, 236,
				[p.metadata.name, (p.status && p.status.podIP) || 'no IP yet',
					(ready ? 'ready' : 'not ready') + (isolated.has(keyOf(p)) ?
						'  \u00b7 isolated by ' + isolated.get(keyOf(p)) : '')],
				{pod: keyOf(p), ip: (p.status && p.status.podIP) || '', ready: String(ready)});
			boxes.set('pod:' + keyOf(p), b);
		});
		col.dep += h + 8;
	}

	// Services, with edges to the endpoints they select.
	for (const s of inNs(store.services, ns)) {
		const eps = endpointsOf(s);
		const ports = (s.spec.ports || []).map(portText).join(', ');
		const b = box(area, 'svc', 290, col.svc, 290,
			[s.metadata.name, (s.spec.type || 'ClusterIP') + ' ' + (s.spec.clusterIP || ''),
				ports || (s.spec.externalName ? '\u2192 ' + s.spec.externalName : 'no ports'),
				s.spec.selector ? eps.length + ' endpoint' + (eps.length === 1 ? '' : 's')
					: 'no selector: endpoints set apart'],
			{service: keyOf(s), type: s.spec.type || 'ClusterIP', 'cluster-ip': s.spec.clusterIP || '',
				endpoints: eps.map((p) => p.status.podIP).join(' ')});
		boxes.set('svc:' + keyOf(s), b);
		for (const p of eps) {
			const pb = boxes.get('pod:' + keyOf(p));
			if (pb)
				link(edges, b, pb, 'edge', {from: keyOf(s), to: keyOf(p)});
		}
		col.svc += b.h + 8;
	}

	// Ingresses: each host and path, with an edge to its Service.
	for (const ing of inNs(store.ingresses, ns)) {
		const lines = [ing.metadata.name];
		const targets = [];
		for (const r of (ing.spec && ing.spec.rules) || [])
			for (const p of (r.http && r.http.paths) || []) {
				const svc = p.backend && p.backend.service;
				lines.push((r.host || '*') + (p.path || '/') + ' \u2192 ' + (svc ? svc.name : '?'));
				if (svc)
					targets.push(svc.name);
			}
		if ((ing.spec.tls || []).length)
			lines.push('TLS: ' + ing.spec.tls.map((t) => (t.hosts || []).join(',')).join(' '));
		const b = box(area, 'ing', 14, col.ing, 250, lines, {ingress: keyOf(ing)});
		for (const t of new Set(targets)) {
			const sb = boxes.get('svc:' + ns + '/' + t);
			if (sb)
				link(edges, b, sb, 'edge ing-edge', {from: keyOf(ing), to: ns + '/' + t});
		}
		col.ing += b.h + 8;
	}

	// NetworkPolicies: a row beneath, each as what it isolates and allows.
	let bottom = Math.max(col.ing, col.svc, col.dep);
	let x = 14, rowH = 0;
	for (const np of inNs(store.networkpolicies, ns)) {
		const lines = [np.metadata.name, ...policyLines(np)];
		const w = Math.min(660, 40 + 6.6 * Math.max(...lines.map((l) => l.length)));
		if (x + w > 1340) {
			x = 14;
			bottom += rowH + 8;
			rowH = 0;
		}
		const b = box(area, 'netpol', x, bottom, w, lines, {policy: keyOf(np)});
		x += w + 8;
		rowH = Math.max(rowH, b.h);
	}
	bottom += rowH + (rowH ? 8 : 0);
	rect.setAttribute('height', bottom - top + 4);
	return bottom + 4;
}

function selects(podSelector, p) {
	if (!podSelector)
		return false;
	if (!podSelector.matchLabels && !podSelector.matchExpressions)
		return true;	// {} picks every pod of the namespace
	return matches(podSelector.matchLabels || {}, p.metadata.labels);
}

function link(parent, a, b, cls, data) {
	const x1 = a.x + a.w, y1 = a.y + 14, x2 = b.x, y2 = b.y + 14;
	const mx = (x1 + x2) / 2;
	const e = el('path', {class: cls, d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`}, parent);
	for (const [k, v] of Object.entries(data))
		e.setAttribute('data-' + k, v);
}

// ---- flows ----

function podByIP(ip) {
	for (const p of store.pods.values())
		if (p.status && p.status.podIP === ip)
			return p;
	return null;
}

// "ns/pod" for a flow's peer, by what the API said or by the pod's IP.
function peerPod(peer) {
	if (!peer)
		return '';
	if (peer.pod)
		return (peer.namespace || '') + '/' + peer.pod;
	const p = peer.ip && podByIP(peer.ip);
	return p ? keyOf(p) : '';
}

function peerLabel(peer) {
	if (!peer)
		return '';
	const pod = peerPod(peer);
	return (pod || peer.ip) + (peer.port ? ':' + peer.port : '');
}

function flowCells(f) {
	const svc = f.service ? f.service.namespace + '/' + f.service.name : '';
	let dst = svc ? 'svc ' + svc + (f.endpoint ? ' \u2192 ' + peerLabel(f.endpoint) : '') : peerLabel(f.destination);
	if (!svc && f.endpoint)
		dst += ' \u2192 ' + peerLabel(f.endpoint);
	let amount = '';
	if (f.http)
		amount = f.http.method + ' ' + (f.http.host || '') + (f.http.path || '') + ' ' + f.http.status;
	else if (f.bytes)
		amount = '\u2191' + f.bytes.sent + ' B \u2193' + f.bytes.received + ' B';
	const dns = f.dns ? f.dns.name + ' ' + f.dns.type + ' ' + f.dns.rcode +
		((f.dns.answers || []).length ? ' \u2192 ' + f.dns.answers.join(', ') : '') : '';
	const verdict = f.verdict + ((f.policies || []).length ? ' by ' + f.policies.join(', ') : '');
	return [(f.time || '').slice(11, 23), f.module, peerLabel(f.source), dst, f.protocol || '',
		amount, dns, verdict];
}

function addFlow(f, hot) {
	const tbody = $('flows').tBodies[0];
	const tr = document.createElement('tr');
	const src = peerPod(f.source), ep = peerPod(f.endpoint) || peerPod(f.destination);
	const nss = new Set([src, ep].filter(Boolean).map((k) => k.split('/')[0]));
	if (f.service)
		nss.add(f.service.namespace);
	tr.className = 'flow';
	Object.assign(tr.dataset, {
		seq: f.metadata ? f.metadata.name : '', verdict: f.verdict || '', module: f.module || '',
		source: src || (f.source && f.source.ip) || '', destination: ep || (f.destination && f.destination.ip) || '',
		service: f.service ? f.service.namespace + '/' + f.service.name : '',
		namespaces: [...nss].join(' '), policies: (f.policies || []).join(' '),
	});
	flowCells(f).forEach((t, i) => {
		const td = tr.insertCell();
		td.textContent = t;
		if (i === 7)
			td.className = 'verdict';
	});
	filterRow(tr);
	tbody.insertBefore(tr, tbody.firstChild);
	while (tbody.rows.length > MAX_FLOWS)
		tbody.deleteRow(-1);
	if (hot)
		highlight(f, src, ep);
}

// The flow's way on the topology: client pod -> service -> endpoint.
function highlight(f, src, ep) {
	const layer = $('flow-layer');
	const denied = f.verdict === 'Denied';
	const way = [boxes.get('pod:' + src), f.service && boxes.get('svc:' + f.service.namespace + '/' + f.service.name),
		boxes.get('pod:' + ep)].filter(Boolean);
	if (!layer || !way.length)
		return;
	const until = Date.now() + HOT_MS;
	for (const b of way) {
		b.g.classList.add('hot');
		b.g.classList.toggle('denied', denied);
		b.g.dataset.hotUntil = until;
	}
	const lines = [];
	for (let i = 1; i < way.length; i++)
		lines.push(el('path', {class: 'flow-line' + (denied ? ' denied' : ''), d: between(way[i - 1], way[i])}, layer));
	setTimeout(() => {
		for (const b of way)	// unless a later flow lit it again
			if (Number(b.g.dataset.hotUntil) <= until)
				b.g.classList.remove('hot', 'denied');
		lines.forEach((l) => l.remove());
	}, HOT_MS);
}

// A curve from the side of box a that faces box b to b's facing side.
function between(a, b) {
	let x1, y1, x2, y2;
	if (b.x >= a.x + a.w || b.x + b.w <= a.x) {
		const right = b.x >= a.x + a.w;
		x1 = right ? a.x + a.w : a.x;
		x2 = right ? b.x : b.x + b.w;
		y1 = a.y + a.h / 2;
		y2 = b.y + b.h / 2;
		const mx = (x1 + x2) / 2;
		return `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
	}
	const down = b.y >= a.y;
	x1 = a.x + a.w / 2;
	x2 = b.x + b.w / 2;
	y1 = down ? a.y + a.h : a.y;
	y2 = down ? b.y : b.y + b.h;
	const my = (y1 + y2) / 2;
	return `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
}

function filterRow(tr) {
	const ns = $('f-namespace').value, pod = $('f-pod').value.trim(), v = $('f-verdict').value;
	const show = (!ns || tr.dataset.namespaces.split(' ').includes(ns)) &&
		(!pod || tr.dataset.source.includes(pod) || tr.dataset.destination.includes(pod)) &&
		(!v || tr.dataset.verdict === v);
	tr.classList.toggle('hidden', !show);
}

function fillNamespaces() {
	const sel = $('f-namespace');
	const have = new Set([...sel.options].map((o) => o.value));
	for (const ns of namespaces())
		if (!have.has(ns))
			sel.add(new Option(ns, ns));
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
