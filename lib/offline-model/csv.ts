/**
 * RFC 4180 CSV parsing (quoted fields, doubled quotes, newlines inside quotes, CRLF). Enough for the
 * training sets shipped in data/ and for teams that hand the node a CSV export of labelled tickets.
 */
export function parseCsv(content: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let field = '';
	let inQuotes = false;
	let i = 0;
	const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
	while (i < text.length) {
		const c = text[i];
		if (inQuotes) {
			if (c === '"') {
				if (text[i + 1] === '"') {
					field += '"';
					i += 2;
					continue;
				}
				inQuotes = false;
				i++;
				continue;
			}
			field += c;
			i++;
			continue;
		}
		if (c === '"') {
			inQuotes = true;
		} else if (c === ',') {
			row.push(field);
			field = '';
		} else if (c === '\n' || c === '\r') {
			row.push(field);
			field = '';
			rows.push(row);
			row = [];
			if (c === '\r' && text[i + 1] === '\n') i++;
		} else {
			field += c;
		}
		i++;
	}
	if (field !== '' || row.length > 0) {
		row.push(field);
		rows.push(row);
	}
	return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Parses CSV with a header row into objects keyed by column name. */
export function parseCsvRecords(content: string): Array<Record<string, string>> {
	const [header, ...rows] = parseCsv(content);
	if (!header) return [];
	return rows.map((cells) => {
		const record: Record<string, string> = {};
		header.forEach((name, index) => {
			record[name] = cells[index] ?? '';
		});
		return record;
	});
}
