# Vision Service: multi-stage build on Debian slim with Node 20.
# Everything the service needs at run time is inside the image; nothing is downloaded when it runs: the models in
# models/ (the default face engine's MediaPipe models and the matcher's embeddings, as ONNX, run by
# onnxruntime-node, whose CPU library ships in its npm package; the passive presentation-attack models), the font
# in assets/, the texts in locales/. No browser, no TFJS (only devDependencies use it; `npm prune` drops them).
# Build: docker build -t vision-service .
# Run next to a mediasoup room server: docker run --network host vision-service

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall removes MediaPipe's usage logger from tasks-vision (scripts/patch-mediapipe.mjs; a devDependency, the
# tests' reference engine), so the script must be there first.
COPY scripts/patch-mediapipe.mjs scripts/
# mediasoup (a devDependency, used only by the test room server) and onnxruntime-node (its script downloads CUDA
# parts; the CPU library ships in the package) have their install scripts disabled in allowScripts.
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src src
COPY challenges challenges
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
# A fixed glibc mmap threshold: onnxruntime's model loading frees tens of MB per session that glibc's sliding
# threshold would keep in the heap for good (idle RSS 620 → 465 MB); frames (≤ 1.4 MB at 720p) stay below it.
ENV NODE_ENV=production PORT=5000 HOST=0.0.0.0 MALLOC_MMAP_THRESHOLD_=2097152
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/dist dist
COPY --chown=root:root package.json ./
COPY --chown=root:root locales locales
COPY --chown=root:root assets assets
COPY --chown=root:root models models
# Runs as the unprivileged user of the base image; the app files stay read-only to it.
USER node
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
