// The live page's drawing: what the objects mean (a Service's endpoints,
// a pod's Deployment, a policy's rules) and the SVG of the namespaces.
'use strict';

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
					: 'no selector'],
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
