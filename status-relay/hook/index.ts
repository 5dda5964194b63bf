/**
 * The n8n external hook file of the status relay. Point n8n at the compiled file on every process
 * that runs executions (main, workers, webhook processors):
 *
 *   EXTERNAL_HOOK_FILES=/home/node/.n8n/nodes/node_modules/n8n-nodes-support-email/dist/status-relay/hook/index.js
 *   SUPPORT_RELAY_URL=http://relay:8080  SUPPORT_RELAY_SECRET=<shared secret, 16+ chars>
 *
 * n8n `require`s it at start-up. Installing the event source happens here, once; n8n's own
 * external hook registry gets no handlers (an empty object), so nothing is awaited in n8n's paths.
 */
import { installHook, log, readHookConfig } from './install';

try {
	const config = readHookConfig();
	if ('error' in config) log('warn', `status relay hook disabled: ${config.error}`);
	else installHook(config);
} catch (error) {
	log('warn', `status relay hook failed to install: ${String(error)}`);
}

const externalHooks: Record<string, Record<string, Array<() => Promise<void>>>> = {};
export = externalHooks;
