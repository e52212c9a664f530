// Package deploy holds no code: its tests check the files under deploy/ against the real
// consumers' types and syncd's own. The alert rules and the dashboard use only metrics that
// syncd's registry has; the Kubernetes manifests decode strictly into the Kubernetes API types
// and run syncd the way the issue asks (two replicas, probes, non-root, read-only root, a secret
// mount for every *_file); the compose file starts Postgres and syncd with healthchecks. promtool
// itself runs in deploy/check.sh (and here, for the dashboard's queries).
package deploy
