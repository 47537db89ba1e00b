{{/*
Names. With the release called "hostguard" (the README's commands) every object is named
"hostguard", as in deploy/: the Service is then hostguard.<namespace>.svc.
*/}}
{{- define "hostguard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 53 | trimSuffix "-" -}}
{{- else if contains "hostguard" .Release.Name -}}
{{- .Release.Name | trunc 53 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-hostguard" .Release.Name | trunc 53 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "hostguard.labels" -}}
app.kubernetes.io/name: hostguard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: hostguard
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The pods' labels that every selector uses. Selectors are immutable: never change these. */}}
{{- define "hostguard.selectorLabels" -}}
app.kubernetes.io/name: hostguard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "hostguard.serviceDNS" -}}
{{ include "hostguard.fullname" . }}.{{ .Release.Namespace }}.svc
{{- end -}}

{{- define "hostguard.configMapName" -}}
{{ include "hostguard.fullname" . }}-config
{{- end -}}

{{/* The kubernetes.io/tls Secret the pods mount. */}}
{{- define "hostguard.tlsSecretName" -}}
{{- if eq .Values.certificates.source "secret" -}}
{{- required "certificates.secret.name: the name of your kubernetes.io/tls Secret (certificates.source=secret)" .Values.certificates.secret.name -}}
{{- else -}}
{{- include "hostguard.fullname" . }}-tls
{{- end -}}
{{- end -}}

{{/*
matchConditions on or off: "auto" follows the API server's version (GA in 1.30; the chart does not
assume the 1.28/1.29 beta gate is on - set true there if it is).
*/}}
{{- define "hostguard.matchConditions" -}}
{{- $mc := .Values.webhook.matchConditions -}}
{{- if eq (toString $mc) "auto" -}}
{{- if semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version -}}true{{- end -}}
{{- else if $mc -}}true
{{- end -}}
{{- end -}}

{{/* Cross-field checks that values.schema.json cannot express with a clear message. */}}
{{- define "hostguard.validate" -}}
{{- if and .Values.podDisruptionBudget.enabled (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicas)) -}}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below replicas (%d), or no node drain could ever evict a replica; run more replicas (2 or more: failurePolicy is Fail), or set podDisruptionBudget.enabled=false" (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicas)) -}}
{{- end -}}
{{- if and .Values.networkPolicy.enabled (not .Values.networkPolicy.apiServer.cidrs) (not .Values.networkPolicy.apiServer.peers) -}}
{{- fail "networkPolicy.enabled=true needs networkPolicy.apiServer.cidrs (the control-plane nodes' addresses the API server connects from) or networkPolicy.apiServer.peers; without them the API server could not reach the webhook and every Calico change would be denied" -}}
{{- end -}}
{{- if and (eq .Values.certificates.source "secret") (not .Values.certificates.secret.caBundle) -}}
{{- fail "certificates.secret.caBundle: the base64-encoded PEM of the CA that signed your Secret's tls.crt (certificates.source=secret)" -}}
{{- end -}}
{{- end -}}
