// Generated from status-relay/protocol/fold.ts by status-relay/scripts/generate-dashboard-fold.js:
// do not edit; change fold.ts and run `npm run build:relay`.
export function applyEvent(snapshot, event) {
    const current = snapshot ?? {
        executionId: event.executionId,
        workflowId: event.workflowId,
        workflowName: event.workflowName,
        mode: event.mode,
        status: 'running',
        seq: 0,
        nodes: [],
    };
    if (event.workflowName)
        current.workflowName = event.workflowName;
    if ('seq' in event)
        current.seq = Math.max(current.seq, event.seq);
    const nodeNamed = (name, type = '') => {
        let node = current.nodes.find((n) => n.name === name);
        if (!node) {
            node = { name, type, state: 'pending', runs: 0 };
            current.nodes.push(node);
        }
        if (type && !node.type)
            node.type = type;
        return node;
    };
    switch (event.type) {
        case 'execution.started': {
            const data = event.data;
            current.mode = event.mode;
            current.startedAt ??= data.startedAt;
            if (current.status === 'waiting')
                current.status = 'running';
            if (data.parentExecutionId)
                current.parentExecutionId = data.parentExecutionId;
            for (const node of data.nodes ?? [])
                nodeNamed(node.name, node.type);
            break;
        }
        case 'execution.waiting': {
            const data = event.data;
            current.status = 'waiting';
            if (data.waitTill)
                current.waitTill = data.waitTill;
            if (data.node)
                nodeNamed(data.node).state = 'waiting';
            break;
        }
        case 'execution.resumed':
            current.status = 'running';
            delete current.waitTill;
            break;
        case 'node.started': {
            const data = event.data;
            const node = nodeNamed(data.node, data.nodeType);
            node.state = 'running';
            node.startedAt = data.startedAt;
            delete node.finishedAt;
            break;
        }
        case 'node.finished': {
            const data = event.data;
            const node = nodeNamed(data.node, data.nodeType);
            node.state = data.status;
            node.runs = Math.max(node.runs, data.runIndex + 1);
            if (data.startedAt)
                node.startedAt = data.startedAt;
            node.finishedAt = data.finishedAt;
            if (data.durationMs !== undefined)
                node.durationMs = data.durationMs;
            node.itemsOut = data.itemsOut;
            if (data.error)
                node.error = data.error;
            else
                delete node.error;
            if (data.continuedOnError)
                node.continuedOnError = true;
            if (data.subExecutionId)
                node.subExecutionId = data.subExecutionId;
            break;
        }
        case 'execution.finished': {
            const data = event.data;
            current.status = data.status;
            current.startedAt ??= data.startedAt;
            current.finishedAt = data.finishedAt;
            if (current.startedAt) {
                current.durationMs = Date.parse(data.finishedAt) - Date.parse(current.startedAt);
            }
            delete current.waitTill;
            if (data.error)
                current.error = data.error;
            for (const node of current.nodes) {
                if (node.state === 'pending')
                    node.state = 'skipped';
                else if (node.state === 'running' || node.state === 'waiting') {
                    node.state = data.status === 'canceled' ? 'canceled' : 'error';
                }
            }
            if (data.error?.node) {
                const failed = current.nodes.find((n) => n.name === data.error?.node);
                if (failed && failed.state !== 'error') {
                    failed.state = 'error';
                    failed.error ??= { message: data.error.message };
                }
            }
            break;
        }
    }
    return current;
}
