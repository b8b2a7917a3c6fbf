// The repository part of every image tag the project builds (reference images, fixtures). Docker tags
// are global to a daemon: a checkout that builds changed images under another repository
// (CORAL_E2E_IMAGE_REPO=coral-e2e-dev) never replaces the images a run of another checkout uses.
// The base image is shared: it is the same package list whatever the checkout.
export const IMAGE_REPO = process.env.CORAL_E2E_IMAGE_REPO || "coral-e2e";
