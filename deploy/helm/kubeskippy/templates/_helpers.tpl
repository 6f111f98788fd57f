{{/* The chart name, or nameOverride: the app.kubernetes.io/name label. */}}
{{- define "kubeskippy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The prefix of every object name: fullnameOverride, else the release name (plus "-kubeskippy"
unless it already contains the chart name). Release "kubeskippy" gives the kustomize install's names.
Cut to 40 characters so that "<prefix>-kill-switch" and the other suffixes stay valid label values.
*/}}
{{- define "kubeskippy.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kubeskippy.serviceAccountName" -}}
{{- include "kubeskippy.fullname" . }}-operator
{{- end -}}

{{/* The Secret the container reads OPENAI_API_KEY and TEMPORAL_API_KEY from. */}}
{{- define "kubeskippy.secretName" -}}
{{- if and .Values.secret.existingSecret .Values.secret.create -}}
{{- fail "secret.existingSecret and secret.create exclude each other: name your own Secret, or let the chart create one" -}}
{{- end -}}
{{- default (printf "%s-secrets" (include "kubeskippy.fullname" .)) .Values.secret.existingSecret -}}
{{- end -}}

{{/* The labels that select the operator's pods (Deployment, Service, PodDisruptionBudget). */}}
{{- define "kubeskippy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubeskippy.name" . }}
app.kubernetes.io/component: operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every object: call with (dict "ctx" $ "component" "operator"). */}}
{{- define "kubeskippy.labels" -}}
app.kubernetes.io/name: {{ include "kubeskippy.name" .ctx }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
true/false/auto: auto is true when the cluster serves the given group/version/kind (at install,
from the API server's discovery; offline, `helm template --api-versions` says what it serves).
Call with (dict "value" .Values.x.enabled "gvk" "group/version/Kind" "ctx" $).
*/}}
{{- define "kubeskippy.enabled" -}}
{{- $v := toString .value -}}
{{- if or (eq $v "true") (and (eq $v "auto") (.ctx.Capabilities.APIVersions.Has .gvk)) -}}
true
{{- end -}}
{{- end -}}
