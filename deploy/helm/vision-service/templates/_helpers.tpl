{{/* Resource names: fullnameOverride, else the release name. */}}
{{- define "vision-service.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride -}}
{{- end }}

{{/* Labels that select the pods; never change them on upgrade. */}}
{{- define "vision-service.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vision-service.labels" -}}
{{ include "vision-service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* Labels of the chart's Redis (flowStore.redis.enabled): another name, so the service's selectors never match it. */}}
{{- define "vision-service.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}-redis
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: flow-store
{{- end }}

{{/* The Secret the pods read: an existing one, or the chart's. */}}
{{- define "vision-service.secretName" -}}
{{- default (include "vision-service.fullname" .) .Values.secret.existingSecret -}}
{{- end }}

{{/* ConfigMap data; also hashed into a pod annotation so a config change rolls the pods. */}}
{{- define "vision-service.configData" -}}
PORT: "5000"
HOST: "0.0.0.0"
SHUTDOWN_GRACE_S: {{ .Values.shutdown.graceSeconds | quote }}
{{- range $name, $value := .Values.config }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}
