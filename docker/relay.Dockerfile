# The status relay (`n8n-support-relay`, the bin of the status-relay/ workspace package) on its own:
# none of the node package's dependencies, none of n8n.
#
# Build context: docker/. Run ./pack.sh first; it puts the `npm pack` tarballs in docker/package/.
ARG NODE_VERSION=24.9.0
FROM node:${NODE_VERSION}-alpine

ENV NODE_ENV=production
COPY package/n8n-nodes-support-email-status-relay.tgz /tmp/n8n-nodes-support-email-status-relay.tgz
# --ignore-scripts: nothing to build.
RUN npm install --global --omit=dev --ignore-scripts --no-audit --no-fund \
		/tmp/n8n-nodes-support-email-status-relay.tgz \
	&& rm /tmp/n8n-nodes-support-email-status-relay.tgz \
	&& npm cache clean --force \
	&& command -v n8n-support-relay

USER node
EXPOSE 8080
# The relay stops cleanly on SIGTERM (compose runs it with `init: true`).
CMD ["n8n-support-relay"]
