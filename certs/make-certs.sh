#!/usr/bin/env bash
# Make a private CA and a serving certificate for the hostguard webhook, and the manifests that
# install them (deploy/overlays/self-signed). Needs bash and openssl (1.1.1 or later), nothing else.
#
#   certs/make-certs.sh [options]
#
# Writes into the output directory (default: certs/out/ next to this script, git-ignored):
#   ca.crt, ca.key            the CA (kept and reused by later runs: rotating the serving
#                             certificate then leaves the webhook's caBundle unchanged)
#   tls.crt, tls.key          the serving certificate for <service>.<namespace>.svc
#   secret.yaml               kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) for the pods
#   cabundle-patch.yaml       patch setting the webhook configuration's caBundle to ca.crt
#   kustomization.yaml        a kustomize Component listing the two above (used by the overlay)
#
# Keys and secret.yaml are created with mode 0600. Nothing here is meant to be committed.
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)

service=hostguard
namespace=hostguard
cluster_domain=cluster.local
secret_name=hostguard-tls
webhook_config=hostguard
webhook_name=validate.hostguard.dev
out_dir="$SCRIPT_DIR/out"
days=365
ca_days=3650
key_type=ecdsa
new_ca=false
extra_sans=()

usage() {
  cat <<EOF
Usage: $PROG [options]

Makes a CA and a serving certificate for the hostguard admission webhook.

Options:
  --service NAME          Service name (default: $service)
  --namespace NS          namespace of the Service and Secret (default: $namespace)
  --cluster-domain D      cluster DNS domain for the long SAN (default: $cluster_domain)
  --san NAME|IP           extra subjectAltName; repeatable (an IPv4/IPv6 address becomes IP:)
  --out DIR               output directory (default: certs/out next to this script)
  --days N                serving certificate validity in days (default: $days)
  --ca-days N             CA validity in days, for a new CA (default: $ca_days)
  --key-type ecdsa|rsa    ECDSA P-256 or RSA 2048 keys (default: $key_type)
  --new-ca                make a new CA even if DIR has one (changes the caBundle)
  --secret-name NAME      name of the TLS Secret (default: $secret_name)
  --webhook-config NAME   ValidatingWebhookConfiguration to patch (default: $webhook_config)
  --webhook-name NAME     webhook entry in it (default: $webhook_name)
  -h, --help              this help

SANs of the serving certificate: <service>.<namespace>.svc and
<service>.<namespace>.svc.<cluster-domain>, plus every --san.
EOF
}

die() {
  echo "$PROG: $*" >&2
  exit 1
}

usage_error() {
  echo "$PROG: $*" >&2
  echo "Try '$PROG --help'." >&2
  exit 2
}

need_value() {
  # $1 option, $2 number of remaining arguments including the option
  [[ $2 -ge 2 ]] || usage_error "option $1 needs a value"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
  --service) need_value "$1" $#; service=$2; shift 2 ;;
  --namespace) need_value "$1" $#; namespace=$2; shift 2 ;;
  --cluster-domain) need_value "$1" $#; cluster_domain=$2; shift 2 ;;
  --san) need_value "$1" $#; extra_sans+=("$2"); shift 2 ;;
  --out) need_value "$1" $#; out_dir=$2; shift 2 ;;
  --days) need_value "$1" $#; days=$2; shift 2 ;;
  --ca-days) need_value "$1" $#; ca_days=$2; shift 2 ;;
  --key-type) need_value "$1" $#; key_type=$2; shift 2 ;;
  --new-ca) new_ca=true; shift ;;
  --secret-name) need_value "$1" $#; secret_name=$2; shift 2 ;;
  --webhook-config) need_value "$1" $#; webhook_config=$2; shift 2 ;;
  --webhook-name) need_value "$1" $#; webhook_name=$2; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  *) usage_error "unknown argument: $1" ;;
  esac
done

# --- validate input ---------------------------------------------------------------------------
dns_label='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
[[ $service =~ $dns_label && ${#service} -le 63 ]] || usage_error "--service: not a DNS label: '$service'"
[[ $namespace =~ $dns_label && ${#namespace} -le 63 ]] || usage_error "--namespace: not a DNS label: '$namespace'"
[[ $cluster_domain =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || usage_error "--cluster-domain: not a DNS name: '$cluster_domain'"
[[ $secret_name =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || usage_error "--secret-name: not a valid name: '$secret_name'"
[[ $webhook_config =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || usage_error "--webhook-config: not a valid name: '$webhook_config'"
[[ $webhook_name =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || usage_error "--webhook-name: not a valid name: '$webhook_name'"
[[ $days =~ ^[1-9][0-9]{0,4}$ ]] || usage_error "--days: a whole number of days from 1 to 99999, not '$days'"
[[ $ca_days =~ ^[1-9][0-9]{0,4}$ ]] || usage_error "--ca-days: a whole number of days from 1 to 99999, not '$ca_days'"
case "$key_type" in
ecdsa | rsa) ;;
*) usage_error "--key-type: ecdsa or rsa, not '$key_type'" ;;
esac
[[ -n $out_dir ]] || usage_error "--out: empty directory name"

san_entries=("DNS:$service.$namespace.svc" "DNS:$service.$namespace.svc.$cluster_domain")
for san in ${extra_sans[@]+"${extra_sans[@]}"}; do
  if [[ $san =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || $san == *:* ]]; then
    [[ $san =~ ^[0-9a-fA-F.:]+$ ]] || usage_error "--san: not an IP address: '$san'"
    san_entries+=("IP:$san")
  elif [[ $san =~ ^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$ ]]; then
    san_entries+=("DNS:$san")
  else
    usage_error "--san: not a DNS name or IP address: '$san'"
  fi
done
san_list=$(IFS=,; echo "${san_entries[*]}")

if ! command -v openssl >/dev/null 2>&1; then
  die "openssl not found in PATH. Install it (Debian/Ubuntu: sudo apt-get install openssl; RHEL/Fedora: sudo dnf install openssl; macOS: brew install openssl) and run again."
fi

# --- work in a private temporary directory, move into place at the end ---------------------------
umask 077
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
work=$(mktemp -d "$out_dir/.make-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT

quiet() {
  # run an openssl command; show its messages only when it fails
  if ! "$@" 2>"$work/stderr"; then
    cat "$work/stderr" >&2
    die "failed: $*"
  fi
}

genkey() {
  # $1 output file
  if [[ $key_type == ecdsa ]]; then
    quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
  else
    quiet openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"
  fi
}

serial() {
  # 16 random bytes with the top bit cleared: a positive 127-bit serial number
  local hex
  hex=$(openssl rand -hex 16)
  printf '0x%x%s' $((0x${hex:0:1} & 7)) "${hex:1}"
}

b64() {
  # one line of base64, portable (GNU base64 -w0 does not exist on macOS)
  openssl base64 -A -in "$1"
}

# --- the CA: reuse the one in the output directory unless --new-ca --------------------------------
reused_ca=false
if [[ $new_ca == false && -f "$out_dir/ca.crt" && -f "$out_dir/ca.key" ]]; then
  ca_pub=$(openssl x509 -in "$out_dir/ca.crt" -noout -pubkey) || die "$out_dir/ca.crt: not a certificate (use --new-ca to replace it)"
  key_pub=$(openssl pkey -in "$out_dir/ca.key" -pubout) || die "$out_dir/ca.key: not a private key (use --new-ca to replace it)"
  [[ $ca_pub == "$key_pub" ]] || die "$out_dir/ca.key does not belong to $out_dir/ca.crt (use --new-ca to replace both)"
  # the serving certificate must not outlive the CA that signs it
  openssl x509 -in "$out_dir/ca.crt" -noout -checkend $((days * 86400)) >/dev/null ||
    die "the CA in $out_dir expires within the $days days of the new serving certificate; rotate the CA (certs/README.md) or use --new-ca"
  cp "$out_dir/ca.crt" "$out_dir/ca.key" "$work/"
  reused_ca=true
else
  cat >"$work/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $service-webhook-ca
[ca_ext]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
  genkey "$work/ca.key"
  quiet openssl req -x509 -new -key "$work/ca.key" -sha256 -days "$ca_days" -set_serial "$(serial)" \
    -config "$work/ca.cnf" -extensions ca_ext -out "$work/ca.crt"
fi

# --- the serving certificate ----------------------------------------------------------------------
if [[ $key_type == ecdsa ]]; then
  key_usage="critical,digitalSignature"
else
  key_usage="critical,digitalSignature,keyEncipherment"
fi
cat >"$work/tls.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $service.$namespace.svc
[tls_ext]
basicConstraints = critical,CA:FALSE
keyUsage = $key_usage
extendedKeyUsage = serverAuth
subjectAltName = $san_list
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
genkey "$work/tls.key"
quiet openssl req -new -key "$work/tls.key" -config "$work/tls.cnf" -out "$work/tls.csr"
quiet openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -set_serial "$(serial)" \
  -days "$days" -sha256 -extfile "$work/tls.cnf" -extensions tls_ext -out "$work/tls.crt"
openssl verify -CAfile "$work/ca.crt" "$work/tls.crt" >/dev/null ||
  die "internal error: the new serving certificate does not verify against the CA"

# --- manifests ------------------------------------------------------------------------------------
cat >"$work/secret.yaml" <<EOF
# Generated by certs/make-certs.sh - contains a private key; do not commit.
apiVersion: v1
kind: Secret
metadata:
  name: $secret_name
  namespace: $namespace
  labels:
    app.kubernetes.io/name: hostguard
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "$work/tls.crt")
  tls.key: $(b64 "$work/tls.key")
  ca.crt: $(b64 "$work/ca.crt")
EOF

cat >"$work/cabundle-patch.yaml" <<EOF
# Generated by certs/make-certs.sh: trust the webhook's CA (base64 of ca.crt).
# Strategic merge patch (webhooks merge by name). Also usable directly:
#   kubectl patch validatingwebhookconfiguration $webhook_config --type=strategic --patch-file cabundle-patch.yaml
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: $webhook_config
webhooks:
  - name: $webhook_name
    clientConfig:
      caBundle: $(b64 "$work/ca.crt")
EOF

cat >"$work/kustomization.yaml" <<EOF
# Generated by certs/make-certs.sh: a kustomize Component used by deploy/overlays/self-signed.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - secret.yaml
patches:
  - path: cabundle-patch.yaml
EOF

chmod 600 "$work/ca.key" "$work/tls.key" "$work/secret.yaml"
chmod 644 "$work/ca.crt" "$work/tls.crt" "$work/cabundle-patch.yaml" "$work/kustomization.yaml"
for f in ca.crt ca.key tls.crt tls.key secret.yaml cabundle-patch.yaml kustomization.yaml; do
  mv -f "$work/$f" "$out_dir/$f"
done

# --- summary --------------------------------------------------------------------------------------
if [[ $reused_ca == true ]]; then
  echo "CA: reused $out_dir/ca.crt (caBundle unchanged)"
else
  echo "CA: new $out_dir/ca.crt, valid $ca_days days"
fi
echo "serving certificate: $out_dir/tls.crt, $key_type, valid $days days"
echo "  SANs: ${san_list//,/, }"
echo "wrote: secret.yaml (Secret $namespace/$secret_name), cabundle-patch.yaml, kustomization.yaml"
if [[ $out_dir == "$SCRIPT_DIR/out" ]]; then
  echo "next: kubectl apply --server-side -k deploy/overlays/self-signed"
else
  echo "next: point deploy/overlays/self-signed (components:) at $out_dir, then kubectl apply --server-side -k it"
fi
