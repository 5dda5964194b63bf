# n8n (the official image, pinned to the version our integration tests run: test/harness/n8n.ts)
# with this package installed where n8n keeps community packages, and the status relay hook on.
#
# Build context: docker/. Run ./pack.sh first; it puts the `npm pack` tarball in docker/package/.
ARG N8N_VERSION=2.41.1
FROM docker.n8n.io/n8nio/n8n:${N8N_VERSION}

# Kept in the image: the nodes folder's package.json refers to it, so a later `npm install` there
# (e.g. another community package installed from the UI) keeps our package instead of pruning it.
COPY package/n8n-nodes-support-email.tgz /opt/n8n-nodes-support-email/n8n-nodes-support-email.tgz

# As n8n installs community packages: <user folder>/.n8n/nodes/node_modules/<package>. n8n 2.41
# scans that folder at start-up (modules/community-packages/community-packages.module.js).
# --legacy-peer-deps: n8n provides n8n-workflow itself; --ignore-scripts: nothing to build.
RUN mkdir -p /home/node/.n8n/nodes \
	&& cd /home/node/.n8n/nodes \
	&& printf '{"name":"installed-nodes","private":true,"dependencies":{}}\n' > package.json \
	&& npm install --omit=dev --legacy-peer-deps --ignore-scripts --no-audit --no-fund \
		/opt/n8n-nodes-support-email/n8n-nodes-support-email.tgz \
	&& test -f /home/node/.n8n/nodes/node_modules/n8n-nodes-support-email/dist/status-relay/hook/index.js \
	&& npm cache clean --force

# n8n `require`s this file in `start`, `worker` and `webhook` (absolute paths, colon-separated).
ENV EXTERNAL_HOOK_FILES=/home/node/.n8n/nodes/node_modules/n8n-nodes-support-email/dist/status-relay/hook/index.js
