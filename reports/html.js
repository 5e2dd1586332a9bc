/* html.js - the exception tables of the HTML report (reports/html.c
 * embeds this file; the page's CSP allows exactly its SHA-256).
 *
 * The rows are data, not markup: a JSON data block (type "application/json",
 * id "rows-ID") holds one JSON array per exception, with the values of
 * the repeated columns as indexes into the string table of
 * id="strings" (0: empty). Only one page of rows is ever in the DOM, so a
 * report of 200,000 lines opens as fast as one of 200. The summary above
 * is static HTML, written by the C side: nothing here recomputes a total.
 *
 * URL fragment (for the e2e driver and for links): #sort=COL&desc=1&
 * filter=TEXT&outcome=CODE&state=STATE&page=N&open=I&print=1&test=1 (print=1:
 * the tables as they print). With test=1
 * the page writes what it shows into <pre id="test-out">.
 */
(function () {
	'use strict';
	var t0 = performance.now();
	var errors = [];
	window.addEventListener('error', function (e) {
		errors.push(String(e.message));
		var o = document.getElementById('js-errors');
		if (o)
			o.textContent = errors.join('\n');
	});

	/* The row layout, as reports/html.c writes it. */
	var OUTCOME = 0, KEY = 1, DEAL_KEY = 2, ORDER_KEY = 3, ORDER_KEYS = 4,
	    ERP_KEYS = 5, CUSTOMER = 6, CURRENCY = 7, DEAL_AMT = 8,
	    ORDER_AMT = 9, ERP_AMT = 10, DIFF = 11, NAME = 12, RULE = 13,
	    WHERE = 14, MESSAGE = 15, STATE = 16, FIRST_RUN = 17, AGE = 18,
	    FIELDS = 19;
	/* not cells of their own: the second halves of the pairs in the
	 * outcome cell (outcome, severity) and the first-seen cell (run,
	 * as-of) */
	var SEVERITY = 900, FIRST_AS_OF = 901;

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = text;
		return e;
	}
	function json(id) {
		var e = document.getElementById(id);
		return e ? JSON.parse(e.textContent) : null;
	}

	var S = json('strings') || [''];
	var names = (json('columns') || { fields: [] }).fields;
	/* the latest note comes after the site-defined fields */
	var NOTE_STATE = FIELDS + names.length, NOTE_TEXT = NOTE_STATE + 1,
	    NOTE_BY = NOTE_STATE + 2, NOTE_TIME = NOTE_STATE + 3,
	    EXPLAINED = NOTE_STATE + 4;

	/* An exact decimal, as reports/html.c accepts it: plain, at most
	 * four decimals. {v: BigInt in units of 10^-d, d} or null. */
	function dec(s) {
		var m = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(s);
		if (!m || (m[3] && m[3].length > 4))
			return null;
		return { v: BigInt(m[1] + m[2] + (m[3] || '')), d: m[3] ? m[3].length : 0 };
	}
	/* b - a with the decimals of the more precise, as text. */
	function sub(a, b) {
		var d = Math.max(a.d, b.d), ten = BigInt(10),
		    x = a.v * ten ** BigInt(d - a.d), y = b.v * ten ** BigInt(d - b.d),
		    v = y - x, neg = v < 0, s = (neg ? -v : v).toString();
		while (s.length <= d)
			s = '0' + s;
		if (d)
			s = s.slice(0, s.length - d) + '.' + s.slice(s.length - d);
		return { zero: v === BigInt(0), text: (neg ? '-' : '') + s };
	}
	/* The line's difference, as line_diff() in reports/html.c: order
	 * minus deal, else ERP minus order, else ERP minus deal, the first
	 * pair that differs, else the first pair there is. */
	function diff(row) {
		var p = [[DEAL_AMT, ORDER_AMT], [ORDER_AMT, ERP_AMT], [DEAL_AMT, ERP_AMT]],
		    first = null, i;
		/* the rule's own comparison: [difference, tolerance] */
		if (Array.isArray(row[DIFF]))
			return row[DIFF][0];
		for (i = 0; i < 3; i++) {
			var a = dec(str(row, p[i][0])), b = dec(str(row, p[i][1]));
			if (!a || !b)
				continue;
			var d = sub(a, b);
			if (!first || (!d.zero && first.zero))
				first = d;
			if (!d.zero)
				break;
		}
		return first ? first.text : '';
	}

	/* The tolerance the rule's within() applied; '' when the verdict
	 * rests on none. */
	function tol(row) {
		return Array.isArray(row[DIFF]) ? row[DIFF][1] : '';
	}

	/* A cell's text: a string as it is; a positive number an index into
	 * the string table (0: empty); a negative one the same text as cell
	 * -N of the line. A message from the table is a template: \x01 and
	 * 'A' + N stand for the text of cell N. */
	function raw(row, i) {
		var v = row[i];
		if (v === undefined || v === null || v === 0)
			return '';
		if (typeof v !== 'number')
			return v;
		return v < 0 ? str(row, -v) : S[v];
	}
	function half(row, i, k) {
		var p = raw(row, i);
		return p && p[k] ? p[k] : '';
	}
	function str(row, i) {
		if (i === DIFF)
			return diff(row);
		if (i === OUTCOME || i === FIRST_RUN)
			return half(row, i, 0);
		if (i === SEVERITY)
			return half(row, OUTCOME, 1);
		if (i === FIRST_AS_OF)
			return half(row, FIRST_RUN, 1);
		var v = raw(row, i);
		if (i === MESSAGE && typeof row[i] === 'number' && row[i] > 0 && v.indexOf('\u0001') >= 0)
			v = v.replace(/\u0001([\s\S])/g, function (m, c) {
				return str(row, c.charCodeAt(0) - 65);
			});
		return v;
	}
	function num(s) {
		var x = parseFloat(s);
		return isNaN(x) ? null : x;
	}

	/* The columns of the table: what differs, by default. */
	var COLS = [
		{ key: 'outcome', label: 'Outcome', get: function (r) { return str(r, OUTCOME); }, cls: 'id' },
		{ key: 'state', life: 1, label: 'State', get: function (r) {
			/* a reopened exception says that it was explained before */
			return str(r, STATE) + (r[EXPLAINED] === 1 ? ' (explained before)' : '');
		} },
		{ key: 'age', life: 1, label: 'Age (days)', get: function (r) { return r[AGE] === undefined || r[AGE] === null || r[AGE] === '' ? '' : String(r[AGE]); }, numeric: true },
		{ key: 'key', label: 'Key', get: function (r) { return str(r, KEY); }, cls: 'id' },
		{ key: 'customer', label: 'Customer', get: function (r) { return str(r, CUSTOMER); } },
		{ key: 'currency', label: 'Cur.', get: function (r) { return str(r, CURRENCY); } },
		{ key: 'deal', label: 'Deal amount', get: function (r) { return str(r, DEAL_AMT); }, numeric: true },
		{ key: 'order', label: 'Order amount', get: function (r) { return str(r, ORDER_AMT); }, numeric: true },
		{ key: 'erp', label: 'ERP amount', get: function (r) { return str(r, ERP_AMT); }, numeric: true },
		{ key: 'amount', label: 'Difference', get: function (r) { return str(r, DIFF); }, numeric: true },
		{ key: 'tolerance', tol: 1, label: 'Tolerance', get: function (r) { return tol(r); }, numeric: true },
		{ key: 'message', label: 'Message', get: function (r) { return str(r, MESSAGE); }, cls: 'msg' },
		{ key: 'note', life: 1, label: 'Latest note', get: function (r) { return str(r, NOTE_STATE); } }
	];

	/* One table of exceptions: its rows, the filtered and sorted view
	 * (an array of row indexes), the page on screen. */
	function Table(root, rows) {
		var life = false, tols = false, k;
		for (k = 0; k < rows.length && !life; k++)
			life = str(rows[k], STATE) !== '';
		for (k = 0; k < rows.length && !tols; k++)
			tols = Array.isArray(rows[k][DIFF]);
		/* no lifecycle in this report: no empty state, age, note
		 * columns; no rule's comparison: no empty tolerance column */
		this.cols = COLS.filter(function (c) {
			return (life || !c.life) && (tols || !c.tol);
		});
		this.root = root;
		this.rows = rows;
		this.view = null;
		this.sortCol = -1;
		this.desc = false;
		this.page = 0;
		this.size = 100;
		this.filter = '';
		this.outcome = '';
		this.state = '';
		this.hay = null;
		this.build();
		this.refresh();
	}

	Table.prototype.build = function () {
		var self = this, bar = el('div', 'controls'), i;
		this.input = el('input');
		this.input.type = 'search';
		this.input.placeholder = 'Filter: key, customer, message, currency…';
		this.input.setAttribute('aria-label', 'Filter the exceptions');
		this.input.addEventListener('input', function () {
			self.filter = self.input.value;
			self.page = 0;
			self.refresh();
		});
		bar.appendChild(this.input);
		this.selOutcome = this.select('All outcomes', OUTCOME, function (v) { self.outcome = v; });
		bar.appendChild(this.selOutcome);
		this.selState = this.select('All states', STATE, function (v) { self.state = v; });
		if (this.selState.options.length > 1)
			bar.appendChild(this.selState);
		this.count = el('span', 'count');
		bar.appendChild(this.count);
		this.root.appendChild(bar);

		var wrap = el('div', 'scroll'), table = el('table', 'items'),
		    thead = el('thead'), tr = el('tr');
		this.ths = [];
		for (i = 0; i < this.cols.length; i++) {
			var th = el('th'), b = el('button', 'sort', this.cols[i].label);
			th.scope = 'col';
			b.type = 'button';
			b.dataset.col = String(i);
			b.addEventListener('click', function (e) {
				var c = +e.currentTarget.dataset.col;
				if (self.sortCol === c)
					self.desc = !self.desc;
				else {
					self.sortCol = c;
					self.desc = false;
				}
				self.view = null;
				self.page = 0;
				self.refresh();
			});
			th.appendChild(b);
			tr.appendChild(th);
			this.ths.push(th);
		}
		thead.appendChild(tr);
		table.appendChild(thead);
		this.tbody = el('tbody');
		this.tbody.addEventListener('click', function (e) {
			var t = e.target.closest('tr');
			if (t && t.dataset.row !== undefined)
				self.detail(+t.dataset.row);
		});
		table.appendChild(this.tbody);
		wrap.appendChild(table);
		this.root.appendChild(wrap);

		var pager = el('div', 'pager');
		this.prev = el('button', null, '‹ Previous');
		this.next = el('button', null, 'Next ›');
		this.prev.type = this.next.type = 'button';
		this.pageLabel = el('span', 'pagelabel');
		this.prev.addEventListener('click', function () { self.page--; self.refresh(); });
		this.next.addEventListener('click', function () { self.page++; self.refresh(); });
		pager.appendChild(this.prev);
		pager.appendChild(this.pageLabel);
		pager.appendChild(this.next);
		this.root.appendChild(pager);
		this.box = el('div', 'detail');
		this.box.hidden = true;
		this.root.appendChild(this.box);
	};

	/* A <select> of the distinct values of column idx, with counts. */
	Table.prototype.select = function (all, idx, set) {
		var self = this, seen = {}, keys = [], s = el('select'), i, o;
		for (i = 0; i < this.rows.length; i++) {
			var v = str(this.rows[i], idx);
			if (!v)
				continue;
			if (!seen[v]) {
				seen[v] = 0;
				keys.push(v);
			}
			seen[v]++;
		}
		keys.sort();
		s.setAttribute('aria-label', all);
		s.appendChild(el('option', null, all)).value = '';
		for (i = 0; i < keys.length; i++) {
			o = el('option', null, keys[i] + ' (' + seen[keys[i]] + ')');
			o.value = keys[i];
			s.appendChild(o);
		}
		s.addEventListener('change', function () {
			set(s.value);
			self.page = 0;
			self.refresh();
		});
		return s;
	};

	/* Filter, then sort the survivors (a stable sort on the index). */
	Table.prototype.compute = function () {
		var rows = this.rows, out = [], i, f = this.filter.toLowerCase(),
		    oc = this.outcome, st = this.state;
		if (f && !this.hay) {
			this.hay = new Array(rows.length);
			for (i = 0; i < rows.length; i++) {
				var r = rows[i], parts = [];
				for (var j = 0; j < r.length; j++)
					if (j !== AGE && j !== EXPLAINED)
						parts.push(str(r, j));
				parts.push(str(r, SEVERITY), str(r, FIRST_AS_OF));
				this.hay[i] = parts.join('\u0001').toLowerCase();
			}
		}
		for (i = 0; i < rows.length; i++) {
			if (oc && str(rows[i], OUTCOME) !== oc)
				continue;
			if (st && str(rows[i], STATE) !== st)
				continue;
			if (f && this.hay[i].indexOf(f) < 0)
				continue;
			out.push(i);
		}
		if (this.sortCol >= 0) {
			var c = this.cols[this.sortCol], keys = new Array(rows.length),
			    sign = this.desc ? -1 : 1;
			for (i = 0; i < out.length; i++) {
				var v = c.get(rows[out[i]]);
				keys[out[i]] = c.numeric ? num(v) : v.toLowerCase();
			}
			out.sort(function (a, b) {
				var x = keys[a], y = keys[b];
				if (x === y)
					return a - b;
				/* empty cells last, whichever the direction */
				if (x === null || x === '')
					return 1;
				if (y === null || y === '')
					return -1;
				return (x < y ? -1 : 1) * sign;
			});
		}
		this.view = out;
	};

	Table.prototype.refresh = function () {
		this.view = null;
		this.compute();
		this.render();
	};

	Table.prototype.render = function (all) {
		var n = this.view.length, pages = Math.max(1, Math.ceil(n / this.size)),
		    from, to, frag = document.createDocumentFragment(), i, j;
		if (this.page >= pages)
			this.page = pages - 1;
		if (this.page < 0)
			this.page = 0;
		from = all ? 0 : this.page * this.size;
		to = all ? Math.min(n, all) : Math.min(n, from + this.size);
		for (i = from; i < to; i++) {
			var r = this.rows[this.view[i]], tr = el('tr');
			tr.dataset.row = String(this.view[i]);
			var sev = str(r, SEVERITY);
			if (sev === 'error' || sev === 'warning' || sev === 'info')
				tr.className = 'sev-' + sev;
			for (j = 0; j < this.cols.length; j++) {
				var c = this.cols[j];
				tr.appendChild(el('td', c.numeric ? 'num' : (c.cls || null), c.get(r)));
			}
			frag.appendChild(tr);
		}
		this.tbody.textContent = '';
		this.tbody.appendChild(frag);
		for (j = 0; j < this.ths.length; j++)
			this.ths[j].setAttribute('aria-sort', j === this.sortCol ?
				(this.desc ? 'descending' : 'ascending') : 'none');
		this.count.textContent = n === this.rows.length ?
			n + ' lines' : n + ' of ' + this.rows.length + ' lines';
		this.pageLabel.textContent = n ? 'Lines ' + (from + 1) + '–' + to +
			' of ' + n + ' (page ' + (this.page + 1) + ' of ' + pages + ')' : 'No line matches.';
		this.prev.disabled = this.page === 0;
		this.next.disabled = this.page >= pages - 1;
	};

	/* The full record of row i, under the table. */
	Table.prototype.detail = function (i) {
		var r = this.rows[i], box = this.box, dl = el('dl', 'meta'), k;
		function add(label, v) {
			if (v === '' || v === null || v === undefined)
				return;
			dl.appendChild(el('dt', null, label));
			dl.appendChild(el('dd', null, String(v)));
		}
		box.textContent = '';
		var h = el('h3', null, str(r, OUTCOME) + ' ' + str(r, KEY));
		var close = el('button', 'close', 'Close');
		close.type = 'button';
		close.addEventListener('click', function () { box.hidden = true; });
		h.appendChild(close);
		box.appendChild(h);
		add('Outcome', str(r, OUTCOME));
		add('Severity', str(r, SEVERITY));
		add('Key', str(r, KEY));
		add('Deal key (CRM)', str(r, DEAL_KEY));
		add('Order key (order system)', str(r, ORDER_KEY));
		add('Orders of the deal', str(r, ORDER_KEYS));
		add('ERP documents', str(r, ERP_KEYS));
		add('Customer', str(r, CUSTOMER));
		add('Name', str(r, NAME));
		add('Currency', str(r, CURRENCY));
		add('Deal amount', str(r, DEAL_AMT));
		add('Order amount', str(r, ORDER_AMT));
		add('ERP amount', str(r, ERP_AMT));
		add('Difference', str(r, DIFF));
		add('Tolerance applied', tol(r));
		add('Message', str(r, MESSAGE));
		add('Rule', str(r, RULE));
		add('Where', str(r, WHERE));
		add('State', str(r, STATE));
		add('First seen (run)', str(r, FIRST_RUN));
		add('First seen (as of)', str(r, FIRST_AS_OF));
		add('Age (days)', r[AGE] === undefined || r[AGE] === null ? '' : r[AGE]);
		if (r[EXPLAINED])
			add('Explained before', 'yes: this exception was explained in an earlier streak');
		add('Latest note', str(r, NOTE_STATE));
		add('Note', str(r, NOTE_TEXT));
		add('Note by', str(r, NOTE_BY));
		add('Note time', str(r, NOTE_TIME));
		for (k = 0; k < names.length; k++)
			add(names[k], str(r, FIELDS + k));
		box.appendChild(dl);
		box.hidden = false;
		box.scrollIntoView({ block: 'nearest' });
	};

	/* ---- start ---- */
	var tables = {}, roots = document.querySelectorAll('[data-rows]'), i;
	for (i = 0; i < roots.length; i++) {
		var root = roots[i], rows = json(root.dataset.rows) || [];
		root.textContent = '';
		tables[root.id] = new Table(root, rows);
	}

	/* Print: the filtered lines in full, up to a limit (the CSV holds
	 * them all), instead of the one page on screen. */
	var PRINT_MAX = 2000;
	window.addEventListener('beforeprint', function () {
		for (var id in tables)
			tables[id].render(PRINT_MAX);
	});
	window.addEventListener('afterprint', function () {
		for (var id in tables)
			tables[id].render();
	});

	/* #sort=amount&desc=1&filter=EUR&outcome=X&state=new&page=2&open=0&test=1 */
	var args = {}, h = location.hash.replace(/^#/, '').split('&');
	for (i = 0; i < h.length; i++) {
		var kv = h[i].split('=');
		if (kv[0])
			args[decodeURIComponent(kv[0])] = decodeURIComponent(kv.slice(1).join('='));
	}
	var main = tables['exceptions'];
	if (main && (args.sort || args.filter || args.outcome || args.state || args.page)) {
		for (i = 0; i < main.cols.length; i++)
			if (main.cols[i].key === args.sort)
				main.sortCol = i;
		main.desc = args.desc === '1';
		main.filter = args.filter || '';
		main.input.value = main.filter;
		main.outcome = args.outcome || '';
		main.selOutcome.value = main.outcome;
		main.state = args.state || '';
		main.selState.value = main.state;
		main.page = args.page ? (+args.page - 1) : 0;
		main.refresh();
	}
	if (main && args.open !== undefined && main.view.length > +args.open)
		main.detail(main.view[+args.open]);
	/* print=1: the tables as they print (what beforeprint does) */
	if (args.print === '1')
		for (var pid in tables)
			tables[pid].render(PRINT_MAX);

	var ms = Math.round(performance.now());
	document.documentElement.setAttribute('data-ready', String(ms));
	document.documentElement.setAttribute('data-setup', String(Math.round(performance.now() - t0)));
	if (args.test === '1') {
		var lines = [];
		for (var id in tables) {
			var t = tables[id], sc = t.sortCol >= 0 ? t.cols[t.sortCol] : null,
			    shown = t.tbody.rows.length, firsts = [];
			for (i = 0; i < Math.min(shown, 5); i++)
				firsts.push(str(t.rows[t.view[i]], KEY) + '=' +
					(sc ? sc.get(t.rows[t.view[i]]) : ''));
			lines.push('table ' + id + ' rows ' + t.rows.length + ' matching ' +
				t.view.length + ' shown ' + shown + ' sort ' +
				(sc ? sc.key : '-') + (t.desc ? ' desc' : '') + ' first ' + firsts.join(','));
			if (!t.box.hidden)
				lines.push('detail ' + t.box.textContent);
		}
		lines.push('errors ' + errors.length);
		var out = document.getElementById('test-out');
		if (out)
			out.textContent = lines.join('\n');
	}
})();
