// The live page's flows: a row each in the table, and a moment on the
// topology (client pod -> Service -> chosen endpoint).
'use strict';

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
