{{/* vim: set filetype=mustache: */}}

{{/* The chart name. */}}
{{- define "blockid.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release-qualified name; service names append "-<service>", so keep room for it. */}}
{{- define "blockid.fullname" -}}
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

{{- define "blockid.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The services: values key -> Kubernetes / binary name. */}}
{{- define "blockid.services" -}}
usersMgmt: users-mgmt
adminapi: adminapi
sessions: sessions
{{- end -}}

{{- define "blockid.labels" -}}
helm.sh/chart: {{ include "blockid.chart" . }}
{{ include "blockid.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: blockid
{{- end -}}

{{- define "blockid.selectorLabels" -}}
app.kubernetes.io/name: {{ include "blockid.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of one service's objects. Context: dict "root" $ "name" "users-mgmt". */}}
{{- define "blockid.componentLabels" -}}
{{ include "blockid.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "blockid.componentSelectorLabels" -}}
{{ include "blockid.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* The object name of one service. Context: dict "root" $ "name" "users-mgmt". */}}
{{- define "blockid.componentName" -}}
{{- printf "%s-%s" (include "blockid.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "blockid.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "blockid.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image of one service. Context: dict "root" $ "svc" <values block>. */}}
{{- define "blockid.image" -}}
{{- $g := .root.Values.global.image -}}
{{- $repo := .svc.image.repository -}}
{{- if $g.registry -}}{{- $repo = printf "%s/%s" (trimSuffix "/" $g.registry) $repo -}}{{- end -}}
{{- $tag := .svc.image.tag | default $g.tag | default .root.Chart.AppVersion -}}
{{- printf "%s:%s" $repo (toString $tag) -}}
{{- end -}}

{{/* The in-cluster base URL of one service. Context: dict "root" $ "key" "usersMgmt" "name" "users-mgmt". */}}
{{- define "blockid.serviceUrl" -}}
{{- $svc := index .root.Values .key -}}
{{- printf "http://%s.%s.svc.%s:%v" (include "blockid.componentName" .) .root.Release.Namespace .root.Values.global.clusterDomain $svc.service.port -}}
{{- end -}}

{{/* SERVICE_DIRECTORY as JSON: every service by its Service name, licenses -> adminapi. */}}
{{- define "blockid.serviceDirectory" -}}
{{- $dir := dict -}}
{{- range $key, $name := include "blockid.services" . | fromYaml -}}
{{- $_ := set $dir $name (include "blockid.serviceUrl" (dict "root" $ "key" $key "name" $name)) -}}
{{- end -}}
{{- $_ := set $dir "licenses" (get $dir "adminapi") -}}
{{- range $k, $v := .Values.global.serviceDirectory -}}
{{- $_ := set $dir $k $v -}}
{{- end -}}
{{- toJson $dir -}}
{{- end -}}

{{/*
The secret files one service mounts, as YAML: a list under "files" of
{env, secret, key, inChart}. env is the variable name (mounted as <env>_FILE).
Context: dict "root" $ "key" "usersMgmt" "name" "users-mgmt".
*/}}
{{- define "blockid.secretFiles" -}}
{{- $root := .root -}}
{{- $g := $root.Values.global -}}
{{- $svc := index $root.Values .key -}}
{{- $chartSecret := include "blockid.fullname" $root -}}
files:
{{- if $svc.database.existingSecret }}
  - {env: DATABASE_URL, secret: {{ $svc.database.existingSecret | quote }}, key: {{ $svc.database.existingSecretKey | quote }}}
{{- else if $svc.database.url }}
  - {env: DATABASE_URL, secret: {{ $chartSecret | quote }}, key: {{ printf "%s-database-url" .name | quote }}}
{{- else if $g.database.existingSecret }}
  - {env: DATABASE_URL, secret: {{ $g.database.existingSecret | quote }}, key: {{ $g.database.existingSecretKey | quote }}}
{{- else if $g.database.url }}
  - {env: DATABASE_URL, secret: {{ $chartSecret | quote }}, key: database-url}
{{- end }}
{{- if $g.redis.existingSecret }}
  - {env: REDIS_URL, secret: {{ $g.redis.existingSecret | quote }}, key: {{ $g.redis.existingSecretKey | quote }}}
{{- else if $g.redis.url }}
  - {env: REDIS_URL, secret: {{ $chartSecret | quote }}, key: redis-url}
{{- end }}
{{- if $g.infraLicenseKey.existingSecret }}
  - {env: INFRA_LICENSE_KEY, secret: {{ $g.infraLicenseKey.existingSecret | quote }}, key: {{ $g.infraLicenseKey.existingSecretKey | quote }}}
{{- else if $g.infraLicenseKey.value }}
  - {env: INFRA_LICENSE_KEY, secret: {{ $chartSecret | quote }}, key: infra-license-key}
{{- end }}
{{- if $g.licenseKeys.existingSecret }}
  - {env: LICENSE_KEYS, secret: {{ $g.licenseKeys.existingSecret | quote }}, key: {{ $g.licenseKeys.existingSecretKey | quote }}}
{{- else if $g.licenseKeys.value }}
  - {env: LICENSE_KEYS, secret: {{ $chartSecret | quote }}, key: license-keys}
{{- end }}
{{- if $svc.privateKey.existingSecret }}
  - {env: SERVICE_PRIVATE_KEY, secret: {{ $svc.privateKey.existingSecret | quote }}, key: {{ $svc.privateKey.existingSecretKey | quote }}}
{{- end }}
{{- if and $svc.secretStoreKey $svc.secretStoreKey.existingSecret }}
  - {env: SECRET_STORE_KEY, secret: {{ $svc.secretStoreKey.existingSecret | quote }}, key: {{ $svc.secretStoreKey.existingSecretKey | quote }}}
{{- end }}
{{- end -}}

{{/* "true" when the service runs on the embedded SQLite database. Context as secretFiles. */}}
{{- define "blockid.usesSqlite" -}}
{{- $g := .root.Values.global -}}
{{- $svc := index .root.Values .key -}}
{{- if or $svc.database.existingSecret $svc.database.url -}}
{{- if hasPrefix "sqlite" $svc.database.url }}true{{ end -}}
{{- else if or $g.database.existingSecret $g.database.url -}}
{{- if hasPrefix "sqlite" $g.database.url }}true{{ end -}}
{{- else -}}
true
{{- end -}}
{{- end -}}

{{- define "blockid.usesRedis" -}}
{{- if or .Values.global.redis.existingSecret .Values.global.redis.url }}true{{ end -}}
{{- end -}}

{{/* Fails the render on a configuration that cannot work. Context as secretFiles. */}}
{{- define "blockid.validate" -}}
{{- $svc := index .root.Values .key -}}
{{- $scaled := or (gt (int $svc.replicas) 1) $svc.autoscaling.enabled -}}
{{- if and $scaled (has .key (list "adminapi" "usersMgmt")) (not $svc.secretStoreKey.existingSecret) -}}
{{- fail (printf "%s: more than one replica (replicas > 1 or autoscaling) needs one secret store key for all: set %s.secretStoreKey.existingSecret (a Secret holding base64 of 32 random bytes)" .key .key) -}}
{{- end -}}
{{- if and $scaled (include "blockid.usesSqlite" .) -}}
{{- fail (printf "%s: more than one replica (replicas > 1 or autoscaling) needs PostgreSQL: set global.database.url or global.database.existingSecret (SQLite serves a single replica only)" .key) -}}
{{- end -}}
{{- if and $scaled (not (include "blockid.usesRedis" .root)) -}}
{{- fail (printf "%s: more than one replica (replicas > 1 or autoscaling) needs Redis for shared ephemeral state: set global.redis.url or global.redis.existingSecret" .key) -}}
{{- end -}}
{{- if and $svc.persistence.enabled $scaled -}}
{{- fail (printf "%s: persistence (a ReadWriteOnce volume for SQLite) allows one replica only" .key) -}}
{{- end -}}
{{- end -}}
