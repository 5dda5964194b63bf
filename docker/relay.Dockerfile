# The status relay (`n8n-support-relay`, the package's bin) on its own, from the same tarball.
#
# Build context: docker/. Run ./pack.sh first; it puts the `npm pack` tarball in docker/package/.
ARG NODE_VERSION=24.9.0
FROM node:${NODE_VERSION}-alpine

ENV NODE_ENV=production
COPY package/n8n-nodes-support-email.tgz /tmp/n8n-nodes-support-email.tgz
# --legacy-peer-deps: the relay does not use the n8n-workflow peer; --ignore-scripts: nothing to build.
RUN npm install --global --omit=dev --legacy-peer-deps --ignore-scripts --no-audit --no-fund \
		/tmp/n8n-nodes-support-email.tgz \
	&& rm /tmp/n8n-nodes-support-email.tgz \
	&& npm cache clean --force \
	&& command -v n8n-support-relay

USER node
EXPOSE 8080
# The relay stops cleanly on SIGTERM (compose runs it with `init: true`).
CMD ["n8n-support-relay"]
