//! The wire schema of the Kubernetes API types: for each message (as the protobuf encoding names it),
//! its fields with their numbers, JSON names, wire types and the Go-struct facts (pointer,
//! omitempty, inlined embedding) that decide how Go's JSON encoding would render them.
//!
//! Derived mechanically from the upstream `generated.proto` files and the struct tags in
//! `types.go` of k8s.io/api and k8s.io/apimachinery; data only, kept sorted by message name.

/// A field's wire type; messages are referenced by qualified name (`pkg.Message`).
#[derive(Clone, Copy, Debug)]
pub enum T {
    /// `string`
    S,
    /// `int32`
    I32,
    /// `int64`
    I64,
    /// `bool`
    B,
    /// An embedded message.
    M(&'static str),
    /// `map<string, string>`
    MS,
    /// `map<string, bytes>`
    MY,
    /// `map<string, message>`
    MM(&'static str),
}
use T::*;

/// One field: number, JSON name (empty when inlined), type, and flags (`R`, `P`, `O`, `I`).
pub struct F(pub u32, pub &'static str, pub T, pub u8);

/// Repeated field (a Go slice).
pub const R: u8 = 1;
/// Go pointer: an explicit zero is kept, absence on the wire means absent in JSON.
pub const P: u8 = 2;
/// Tagged `omitempty`: zero scalars, empty slices and maps are dropped.
pub const O: u8 = 4;
/// Embedded struct whose fields Go inlines into the parent's JSON object.
pub const I: u8 = 8;

/// The fields of a message (empty for a name the table does not hold).
pub fn message(name: &str) -> &'static [F] {
    MSGS.binary_search_by(|(n, _)| n.cmp(&name))
        .map(|i| MSGS[i].1)
        .unwrap_or(&[])
}

/// The message of a top-level kind at an apiVersion.
pub fn kind_message(api_version: &str, kind: &str) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|(v, k, _)| (*v == api_version || *v == "*") && *k == kind)
        .map(|(_, _, m)| *m)
}

/// Top-level kinds: (apiVersion, kind, message); apiVersion `*` accepts any group version.
pub static KINDS: &[(&str, &str, &str)] = &[
    ("v1", "Binding", "core.Binding"),
    ("v1", "ConfigMap", "core.ConfigMap"),
    ("v1", "Endpoints", "core.Endpoints"),
    ("v1", "Event", "core.Event"),
    ("v1", "LimitRange", "core.LimitRange"),
    ("v1", "Namespace", "core.Namespace"),
    ("v1", "Node", "core.Node"),
    ("v1", "PersistentVolume", "core.PersistentVolume"),
    ("v1", "PersistentVolumeClaim", "core.PersistentVolumeClaim"),
    ("v1", "Pod", "core.Pod"),
    ("v1", "ReplicationController", "core.ReplicationController"),
    ("v1", "ResourceQuota", "core.ResourceQuota"),
    ("v1", "Secret", "core.Secret"),
    ("v1", "Service", "core.Service"),
    ("v1", "ServiceAccount", "core.ServiceAccount"),
    ("apps/v1", "ControllerRevision", "apps.ControllerRevision"),
    ("apps/v1", "DaemonSet", "apps.DaemonSet"),
    ("apps/v1", "Deployment", "apps.Deployment"),
    ("apps/v1", "ReplicaSet", "apps.ReplicaSet"),
    ("apps/v1", "StatefulSet", "apps.StatefulSet"),
    (
        "autoscaling/v1",
        "HorizontalPodAutoscaler",
        "as1.HorizontalPodAutoscaler",
    ),
    ("autoscaling/v1", "Scale", "as1.Scale"),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "as2.HorizontalPodAutoscaler",
    ),
    ("batch/v1", "CronJob", "batch.CronJob"),
    ("batch/v1", "Job", "batch.Job"),
    ("coordination.k8s.io/v1", "Lease", "coord.Lease"),
    ("discovery.k8s.io/v1", "EndpointSlice", "disc.EndpointSlice"),
    ("events.k8s.io/v1", "Event", "events.Event"),
    ("networking.k8s.io/v1", "Ingress", "net.Ingress"),
    ("networking.k8s.io/v1", "IngressClass", "net.IngressClass"),
    ("networking.k8s.io/v1", "NetworkPolicy", "net.NetworkPolicy"),
    ("storage.k8s.io/v1", "StorageClass", "storage.StorageClass"),
    ("policy/v1", "Eviction", "policy.Eviction"),
    (
        "policy/v1",
        "PodDisruptionBudget",
        "policy.PodDisruptionBudget",
    ),
    (
        "scheduling.k8s.io/v1",
        "PriorityClass",
        "sched.PriorityClass",
    ),
    // Typed clients encode DeleteOptions in the group version of the resource being deleted.
    ("*", "DeleteOptions", "meta.DeleteOptions"),
];

/// Messages reachable from `KINDS`, sorted by name for binary search; the special messages
/// (Time, MicroTime, Duration, Quantity, IntOrString, RawExtension, FieldsV1) are decoded by
/// hand and not listed.
#[rustfmt::skip]
pub static MSGS: &[(&str, &[F])] = &[
    ("apps.ControllerRevision", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "data", M("rt.RawExtension"), 0),
        F(3, "revision", I64, 0),
    ]),
    ("apps.DaemonSet", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("apps.DaemonSetSpec"), O),
        F(3, "status", M("apps.DaemonSetStatus"), O),
    ]),
    ("apps.DaemonSetCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastTransitionTime", M("meta.Time"), O),
        F(4, "reason", S, O), F(5, "message", S, O),
    ]),
    ("apps.DaemonSetSpec", &[
        F(1, "selector", M("meta.LabelSelector"), P),
        F(2, "template", M("core.PodTemplateSpec"), 0),
        F(3, "updateStrategy", M("apps.DaemonSetUpdateStrategy"), O),
        F(4, "minReadySeconds", I32, O), F(6, "revisionHistoryLimit", I32, P|O),
    ]),
    ("apps.DaemonSetStatus", &[
        F(1, "currentNumberScheduled", I32, 0), F(2, "numberMisscheduled", I32, 0),
        F(3, "desiredNumberScheduled", I32, 0), F(4, "numberReady", I32, 0),
        F(5, "observedGeneration", I64, O), F(6, "updatedNumberScheduled", I32, O),
        F(7, "numberAvailable", I32, O), F(8, "numberUnavailable", I32, O),
        F(9, "collisionCount", I32, P|O), F(10, "conditions", M("apps.DaemonSetCondition"), R|O),
    ]),
    ("apps.DaemonSetUpdateStrategy", &[
        F(1, "type", S, O), F(2, "rollingUpdate", M("apps.RollingUpdateDaemonSet"), P|O),
    ]),
    ("apps.Deployment", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("apps.DeploymentSpec"), O),
        F(3, "status", M("apps.DeploymentStatus"), O),
    ]),
    ("apps.DeploymentCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(4, "reason", S, O), F(5, "message", S, O),
        F(6, "lastUpdateTime", M("meta.Time"), O), F(7, "lastTransitionTime", M("meta.Time"), O),
    ]),
    ("apps.DeploymentSpec", &[
        F(1, "replicas", I32, P|O), F(2, "selector", M("meta.LabelSelector"), P),
        F(3, "template", M("core.PodTemplateSpec"), 0),
        F(4, "strategy", M("apps.DeploymentStrategy"), O), F(5, "minReadySeconds", I32, O),
        F(6, "revisionHistoryLimit", I32, P|O), F(7, "paused", B, O),
        F(9, "progressDeadlineSeconds", I32, P|O),
    ]),
    ("apps.DeploymentStatus", &[
        F(1, "observedGeneration", I64, O), F(2, "replicas", I32, O),
        F(3, "updatedReplicas", I32, O), F(4, "availableReplicas", I32, O),
        F(5, "unavailableReplicas", I32, O),
        F(6, "conditions", M("apps.DeploymentCondition"), R|O), F(7, "readyReplicas", I32, O),
        F(8, "collisionCount", I32, P|O), F(9, "terminatingReplicas", I32, P|O),
    ]),
    ("apps.DeploymentStrategy", &[
        F(1, "type", S, O), F(2, "rollingUpdate", M("apps.RollingUpdateDeployment"), P|O),
    ]),
    ("apps.ReplicaSet", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("apps.ReplicaSetSpec"), O),
        F(3, "status", M("apps.ReplicaSetStatus"), O),
    ]),
    ("apps.ReplicaSetCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastTransitionTime", M("meta.Time"), O),
        F(4, "reason", S, O), F(5, "message", S, O),
    ]),
    ("apps.ReplicaSetSpec", &[
        F(1, "replicas", I32, P|O), F(2, "selector", M("meta.LabelSelector"), P),
        F(3, "template", M("core.PodTemplateSpec"), O), F(4, "minReadySeconds", I32, O),
    ]),
    ("apps.ReplicaSetStatus", &[
        F(1, "replicas", I32, 0), F(2, "fullyLabeledReplicas", I32, O),
        F(3, "observedGeneration", I64, O), F(4, "readyReplicas", I32, O),
        F(5, "availableReplicas", I32, O), F(6, "conditions", M("apps.ReplicaSetCondition"), R|O),
        F(7, "terminatingReplicas", I32, P|O),
    ]),
    ("apps.RollingUpdateDaemonSet", &[
        F(1, "maxUnavailable", M("intstr.IntOrString"), P|O),
        F(2, "maxSurge", M("intstr.IntOrString"), P|O),
    ]),
    ("apps.RollingUpdateDeployment", &[
        F(1, "maxUnavailable", M("intstr.IntOrString"), P|O),
        F(2, "maxSurge", M("intstr.IntOrString"), P|O),
    ]),
    ("apps.RollingUpdateStatefulSetStrategy", &[
        F(1, "partition", I32, P|O), F(2, "maxUnavailable", M("intstr.IntOrString"), P|O),
    ]),
    ("apps.StatefulSet", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("apps.StatefulSetSpec"), O),
        F(3, "status", M("apps.StatefulSetStatus"), O),
    ]),
    ("apps.StatefulSetCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastTransitionTime", M("meta.Time"), O),
        F(4, "reason", S, O), F(5, "message", S, O),
    ]),
    ("apps.StatefulSetOrdinals", &[
        F(1, "start", I32, 0),
    ]),
    ("apps.StatefulSetPersistentVolumeClaimRetentionPolicy", &[
        F(1, "whenDeleted", S, O), F(2, "whenScaled", S, O),
    ]),
    ("apps.StatefulSetSpec", &[
        F(1, "replicas", I32, P|O), F(2, "selector", M("meta.LabelSelector"), P),
        F(3, "template", M("core.PodTemplateSpec"), 0),
        F(4, "volumeClaimTemplates", M("core.PersistentVolumeClaim"), R|O),
        F(5, "serviceName", S, 0), F(6, "podManagementPolicy", S, O),
        F(7, "updateStrategy", M("apps.StatefulSetUpdateStrategy"), O),
        F(8, "revisionHistoryLimit", I32, P|O), F(9, "minReadySeconds", I32, O),
        F(10, "persistentVolumeClaimRetentionPolicy", M("apps.StatefulSetPersistentVolumeClaimRetentionPolicy"), P|O),
        F(11, "ordinals", M("apps.StatefulSetOrdinals"), P|O),
    ]),
    ("apps.StatefulSetStatus", &[
        F(1, "observedGeneration", I64, O), F(2, "replicas", I32, 0),
        F(3, "readyReplicas", I32, O), F(4, "currentReplicas", I32, O),
        F(5, "updatedReplicas", I32, O), F(6, "currentRevision", S, O),
        F(7, "updateRevision", S, O), F(9, "collisionCount", I32, P|O),
        F(10, "conditions", M("apps.StatefulSetCondition"), R|O),
        F(11, "availableReplicas", I32, 0),
    ]),
    ("apps.StatefulSetUpdateStrategy", &[
        F(1, "type", S, O), F(2, "rollingUpdate", M("apps.RollingUpdateStatefulSetStrategy"), P|O),
    ]),
    ("as1.CrossVersionObjectReference", &[
        F(1, "kind", S, 0), F(2, "name", S, 0), F(3, "apiVersion", S, O),
    ]),
    ("as1.HorizontalPodAutoscaler", &[
        F(1, "metadata", M("meta.ObjectMeta"), O),
        F(2, "spec", M("as1.HorizontalPodAutoscalerSpec"), O),
        F(3, "status", M("as1.HorizontalPodAutoscalerStatus"), O),
    ]),
    ("as1.HorizontalPodAutoscalerSpec", &[
        F(1, "scaleTargetRef", M("as1.CrossVersionObjectReference"), 0),
        F(2, "minReplicas", I32, P|O), F(3, "maxReplicas", I32, 0),
        F(4, "targetCPUUtilizationPercentage", I32, P|O),
    ]),
    ("as1.HorizontalPodAutoscalerStatus", &[
        F(1, "observedGeneration", I64, P|O), F(2, "lastScaleTime", M("meta.Time"), P|O),
        F(3, "currentReplicas", I32, 0), F(4, "desiredReplicas", I32, 0),
        F(5, "currentCPUUtilizationPercentage", I32, P|O),
    ]),
    ("as1.Scale", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("as1.ScaleSpec"), O),
        F(3, "status", M("as1.ScaleStatus"), O),
    ]),
    ("as1.ScaleSpec", &[
        F(1, "replicas", I32, O),
    ]),
    ("as1.ScaleStatus", &[
        F(1, "replicas", I32, 0), F(2, "selector", S, O),
    ]),
    ("as2.ContainerResourceMetricSource", &[
        F(1, "name", S, 0), F(2, "target", M("as2.MetricTarget"), 0), F(3, "container", S, 0),
    ]),
    ("as2.ContainerResourceMetricStatus", &[
        F(1, "name", S, 0), F(2, "current", M("as2.MetricValueStatus"), 0),
        F(3, "container", S, 0),
    ]),
    ("as2.CrossVersionObjectReference", &[
        F(1, "kind", S, 0), F(2, "name", S, 0), F(3, "apiVersion", S, O),
    ]),
    ("as2.ExternalMetricSource", &[
        F(1, "metric", M("as2.MetricIdentifier"), 0), F(2, "target", M("as2.MetricTarget"), 0),
    ]),
    ("as2.ExternalMetricStatus", &[
        F(1, "metric", M("as2.MetricIdentifier"), 0),
        F(2, "current", M("as2.MetricValueStatus"), 0),
    ]),
    ("as2.HPAScalingPolicy", &[
        F(1, "type", S, 0), F(2, "value", I32, 0), F(3, "periodSeconds", I32, 0),
    ]),
    ("as2.HPAScalingRules", &[
        F(1, "selectPolicy", S, P|O), F(2, "policies", M("as2.HPAScalingPolicy"), R|O),
        F(3, "stabilizationWindowSeconds", I32, P|O), F(4, "tolerance", M("res.Quantity"), P|O),
    ]),
    ("as2.HorizontalPodAutoscaler", &[
        F(1, "metadata", M("meta.ObjectMeta"), O),
        F(2, "spec", M("as2.HorizontalPodAutoscalerSpec"), O),
        F(3, "status", M("as2.HorizontalPodAutoscalerStatus"), O),
    ]),
    ("as2.HorizontalPodAutoscalerBehavior", &[
        F(1, "scaleUp", M("as2.HPAScalingRules"), P|O),
        F(2, "scaleDown", M("as2.HPAScalingRules"), P|O),
    ]),
    ("as2.HorizontalPodAutoscalerCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastTransitionTime", M("meta.Time"), O),
        F(4, "reason", S, O), F(5, "message", S, O), F(6, "observedGeneration", I64, P|O),
    ]),
    ("as2.HorizontalPodAutoscalerSpec", &[
        F(1, "scaleTargetRef", M("as2.CrossVersionObjectReference"), 0),
        F(2, "minReplicas", I32, P|O), F(3, "maxReplicas", I32, 0),
        F(4, "metrics", M("as2.MetricSpec"), R|O),
        F(5, "behavior", M("as2.HorizontalPodAutoscalerBehavior"), P|O),
    ]),
    ("as2.HorizontalPodAutoscalerStatus", &[
        F(1, "observedGeneration", I64, P|O), F(2, "lastScaleTime", M("meta.Time"), P|O),
        F(3, "currentReplicas", I32, O), F(4, "desiredReplicas", I32, 0),
        F(5, "currentMetrics", M("as2.MetricStatus"), R),
        F(6, "conditions", M("as2.HorizontalPodAutoscalerCondition"), R|O),
    ]),
    ("as2.MetricIdentifier", &[
        F(1, "name", S, 0), F(2, "selector", M("meta.LabelSelector"), P|O),
    ]),
    ("as2.MetricSpec", &[
        F(1, "type", S, 0), F(2, "object", M("as2.ObjectMetricSource"), P|O),
        F(3, "pods", M("as2.PodsMetricSource"), P|O),
        F(4, "resource", M("as2.ResourceMetricSource"), P|O),
        F(5, "external", M("as2.ExternalMetricSource"), P|O),
        F(7, "containerResource", M("as2.ContainerResourceMetricSource"), P|O),
    ]),
    ("as2.MetricStatus", &[
        F(1, "type", S, 0), F(2, "object", M("as2.ObjectMetricStatus"), P|O),
        F(3, "pods", M("as2.PodsMetricStatus"), P|O),
        F(4, "resource", M("as2.ResourceMetricStatus"), P|O),
        F(5, "external", M("as2.ExternalMetricStatus"), P|O),
        F(7, "containerResource", M("as2.ContainerResourceMetricStatus"), P|O),
    ]),
    ("as2.MetricTarget", &[
        F(1, "type", S, 0), F(2, "value", M("res.Quantity"), P|O),
        F(3, "averageValue", M("res.Quantity"), P|O), F(4, "averageUtilization", I32, P|O),
    ]),
    ("as2.MetricValueStatus", &[
        F(1, "value", M("res.Quantity"), P|O), F(2, "averageValue", M("res.Quantity"), P|O),
        F(3, "averageUtilization", I32, P|O),
    ]),
    ("as2.ObjectMetricSource", &[
        F(1, "describedObject", M("as2.CrossVersionObjectReference"), 0),
        F(2, "target", M("as2.MetricTarget"), 0), F(3, "metric", M("as2.MetricIdentifier"), 0),
    ]),
    ("as2.ObjectMetricStatus", &[
        F(1, "metric", M("as2.MetricIdentifier"), 0),
        F(2, "current", M("as2.MetricValueStatus"), 0),
        F(3, "describedObject", M("as2.CrossVersionObjectReference"), 0),
    ]),
    ("as2.PodsMetricSource", &[
        F(1, "metric", M("as2.MetricIdentifier"), 0), F(2, "target", M("as2.MetricTarget"), 0),
    ]),
    ("as2.PodsMetricStatus", &[
        F(1, "metric", M("as2.MetricIdentifier"), 0),
        F(2, "current", M("as2.MetricValueStatus"), 0),
    ]),
    ("as2.ResourceMetricSource", &[
        F(1, "name", S, 0), F(2, "target", M("as2.MetricTarget"), 0),
    ]),
    ("as2.ResourceMetricStatus", &[
        F(1, "name", S, 0), F(2, "current", M("as2.MetricValueStatus"), 0),
    ]),
    ("batch.CronJob", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("batch.CronJobSpec"), O),
        F(3, "status", M("batch.CronJobStatus"), O),
    ]),
    ("batch.CronJobSpec", &[
        F(1, "schedule", S, 0), F(2, "startingDeadlineSeconds", I64, P|O),
        F(3, "concurrencyPolicy", S, O), F(4, "suspend", B, P|O),
        F(5, "jobTemplate", M("batch.JobTemplateSpec"), 0),
        F(6, "successfulJobsHistoryLimit", I32, P|O), F(7, "failedJobsHistoryLimit", I32, P|O),
        F(8, "timeZone", S, P|O),
    ]),
    ("batch.CronJobStatus", &[
        F(1, "active", M("core.ObjectReference"), R|O),
        F(4, "lastScheduleTime", M("meta.Time"), P|O),
        F(5, "lastSuccessfulTime", M("meta.Time"), P|O),
    ]),
    ("batch.Job", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("batch.JobSpec"), O),
        F(3, "status", M("batch.JobStatus"), O),
    ]),
    ("batch.JobCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastProbeTime", M("meta.Time"), O),
        F(4, "lastTransitionTime", M("meta.Time"), O), F(5, "reason", S, O), F(6, "message", S, O),
    ]),
    ("batch.JobSchedulingConfiguration", &[
        F(1, "schedulingPolicy", M("sa3.WorkloadPodGroupSchedulingPolicy"), P|O),
        F(2, "schedulingConstraints", M("sa3.WorkloadPodGroupSchedulingConstraints"), P|O),
        F(3, "disruptionMode", M("sa3.WorkloadPodGroupDisruptionMode"), P|O),
        F(4, "resourceClaims", M("sa3.WorkloadPodGroupResourceClaim"), R|O),
    ]),
    ("batch.JobSpec", &[
        F(1, "parallelism", I32, P|O), F(2, "completions", I32, P|O),
        F(3, "activeDeadlineSeconds", I64, P|O), F(4, "selector", M("meta.LabelSelector"), P|O),
        F(5, "manualSelector", B, P|O), F(6, "template", M("core.PodTemplateSpec"), 0),
        F(7, "backoffLimit", I32, P|O), F(8, "ttlSecondsAfterFinished", I32, P|O),
        F(9, "completionMode", S, P|O), F(10, "suspend", B, P|O),
        F(11, "podFailurePolicy", M("batch.PodFailurePolicy"), P|O),
        F(12, "backoffLimitPerIndex", I32, P|O), F(13, "maxFailedIndexes", I32, P|O),
        F(14, "podReplacementPolicy", S, P|O), F(15, "managedBy", S, P|O),
        F(16, "successPolicy", M("batch.SuccessPolicy"), P|O),
        F(17, "scheduling", M("batch.JobSchedulingConfiguration"), P|O),
    ]),
    ("batch.JobStatus", &[
        F(1, "conditions", M("batch.JobCondition"), R|O), F(2, "startTime", M("meta.Time"), P|O),
        F(3, "completionTime", M("meta.Time"), P|O), F(4, "active", I32, O),
        F(5, "succeeded", I32, O), F(6, "failed", I32, O), F(7, "completedIndexes", S, O),
        F(8, "uncountedTerminatedPods", M("batch.UncountedTerminatedPods"), P|O),
        F(9, "ready", I32, P|O), F(10, "failedIndexes", S, P|O), F(11, "terminating", I32, P|O),
    ]),
    ("batch.JobTemplateSpec", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("batch.JobSpec"), O),
    ]),
    ("batch.PodFailurePolicy", &[
        F(1, "rules", M("batch.PodFailurePolicyRule"), R),
    ]),
    ("batch.PodFailurePolicyOnExitCodesRequirement", &[
        F(1, "containerName", S, P|O), F(2, "operator", S, 0), F(3, "values", I32, R),
    ]),
    ("batch.PodFailurePolicyOnPodConditionsPattern", &[
        F(1, "type", S, 0), F(2, "status", S, 0),
    ]),
    ("batch.PodFailurePolicyRule", &[
        F(1, "action", S, 0),
        F(2, "onExitCodes", M("batch.PodFailurePolicyOnExitCodesRequirement"), P|O),
        F(3, "onPodConditions", M("batch.PodFailurePolicyOnPodConditionsPattern"), R|O),
    ]),
    ("batch.SuccessPolicy", &[
        F(1, "rules", M("batch.SuccessPolicyRule"), R),
    ]),
    ("batch.SuccessPolicyRule", &[
        F(1, "succeededIndexes", S, P|O), F(2, "succeededCount", I32, P|O),
    ]),
    ("batch.UncountedTerminatedPods", &[
        F(1, "succeeded", S, R|O), F(2, "failed", S, R|O),
    ]),
    ("coord.Lease", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("coord.LeaseSpec"), O),
    ]),
    ("coord.LeaseSpec", &[
        F(1, "holderIdentity", S, P|O), F(2, "leaseDurationSeconds", I32, P|O),
        F(3, "acquireTime", M("meta.MicroTime"), P|O), F(4, "renewTime", M("meta.MicroTime"), P|O),
        F(5, "leaseTransitions", I32, P|O), F(6, "strategy", S, P|O),
        F(7, "preferredHolder", S, P|O),
    ]),
    ("core.AWSElasticBlockStoreVolumeSource", &[
        F(1, "volumeID", S, 0), F(2, "fsType", S, O), F(3, "partition", I32, O),
        F(4, "readOnly", B, O),
    ]),
    ("core.Affinity", &[
        F(1, "nodeAffinity", M("core.NodeAffinity"), P|O),
        F(2, "podAffinity", M("core.PodAffinity"), P|O),
        F(3, "podAntiAffinity", M("core.PodAntiAffinity"), P|O),
    ]),
    ("core.AppArmorProfile", &[
        F(1, "type", S, 0), F(2, "localhostProfile", S, P|O),
    ]),
    ("core.AttachedVolume", &[
        F(1, "name", S, 0), F(2, "devicePath", S, 0),
    ]),
    ("core.AzureDiskVolumeSource", &[
        F(1, "diskName", S, 0), F(2, "diskURI", S, 0), F(3, "cachingMode", S, P|O),
        F(4, "fsType", S, P|O), F(5, "readOnly", B, P|O), F(6, "kind", S, P|O),
    ]),
    ("core.AzureFilePersistentVolumeSource", &[
        F(1, "secretName", S, 0), F(2, "shareName", S, 0), F(3, "readOnly", B, O),
        F(4, "secretNamespace", S, P),
    ]),
    ("core.AzureFileVolumeSource", &[
        F(1, "secretName", S, 0), F(2, "shareName", S, 0), F(3, "readOnly", B, O),
    ]),
    ("core.Binding", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "target", M("core.ObjectReference"), 0),
    ]),
    ("core.CSIPersistentVolumeSource", &[
        F(1, "driver", S, 0), F(2, "volumeHandle", S, 0), F(3, "readOnly", B, O),
        F(4, "fsType", S, O), F(5, "volumeAttributes", MS, O),
        F(6, "controllerPublishSecretRef", M("core.SecretReference"), P|O),
        F(7, "nodeStageSecretRef", M("core.SecretReference"), P|O),
        F(8, "nodePublishSecretRef", M("core.SecretReference"), P|O),
        F(9, "controllerExpandSecretRef", M("core.SecretReference"), P|O),
        F(10, "nodeExpandSecretRef", M("core.SecretReference"), P|O),
    ]),
    ("core.CSIVolumeSource", &[
        F(1, "driver", S, 0), F(2, "readOnly", B, P|O), F(3, "fsType", S, P|O),
        F(4, "volumeAttributes", MS, O),
        F(5, "nodePublishSecretRef", M("core.LocalObjectReference"), P|O),
    ]),
    ("core.Capabilities", &[
        F(1, "add", S, R|O), F(2, "drop", S, R|O),
    ]),
    ("core.CephFSPersistentVolumeSource", &[
        F(1, "monitors", S, R), F(2, "path", S, O), F(3, "user", S, O), F(4, "secretFile", S, O),
        F(5, "secretRef", M("core.SecretReference"), P|O), F(6, "readOnly", B, O),
    ]),
    ("core.CephFSVolumeSource", &[
        F(1, "monitors", S, R), F(2, "path", S, O), F(3, "user", S, O), F(4, "secretFile", S, O),
        F(5, "secretRef", M("core.LocalObjectReference"), P|O), F(6, "readOnly", B, O),
    ]),
    ("core.CinderPersistentVolumeSource", &[
        F(1, "volumeID", S, 0), F(2, "fsType", S, O), F(3, "readOnly", B, O),
        F(4, "secretRef", M("core.SecretReference"), P|O),
    ]),
    ("core.CinderVolumeSource", &[
        F(1, "volumeID", S, 0), F(2, "fsType", S, O), F(3, "readOnly", B, O),
        F(4, "secretRef", M("core.LocalObjectReference"), P|O),
    ]),
    ("core.ClientIPConfig", &[
        F(1, "timeoutSeconds", I32, P|O),
    ]),
    ("core.ClusterTrustBundleProjection", &[
        F(1, "name", S, P|O), F(2, "signerName", S, P|O),
        F(3, "labelSelector", M("meta.LabelSelector"), P|O), F(4, "path", S, 0),
        F(5, "optional", B, P|O), F(6, "user", I64, P|O),
    ]),
    ("core.ConfigMap", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "data", MS, O), F(3, "binaryData", MY, O),
        F(4, "immutable", B, P|O),
    ]),
    ("core.ConfigMapEnvSource", &[
        F(1, "", M("core.LocalObjectReference"), I), F(2, "optional", B, P|O),
    ]),
    ("core.ConfigMapKeySelector", &[
        F(1, "", M("core.LocalObjectReference"), I), F(2, "key", S, 0), F(3, "optional", B, P|O),
    ]),
    ("core.ConfigMapNodeConfigSource", &[
        F(1, "namespace", S, 0), F(2, "name", S, 0), F(3, "uid", S, O),
        F(4, "resourceVersion", S, O), F(5, "kubeletConfigKey", S, 0),
    ]),
    ("core.ConfigMapProjection", &[
        F(1, "", M("core.LocalObjectReference"), I), F(2, "items", M("core.KeyToPath"), R|O),
        F(4, "optional", B, P|O),
    ]),
    ("core.ConfigMapVolumeSource", &[
        F(1, "", M("core.LocalObjectReference"), I), F(2, "items", M("core.KeyToPath"), R|O),
        F(3, "defaultMode", I32, P|O), F(4, "optional", B, P|O), F(5, "defaultUser", I64, P|O),
    ]),
    ("core.Container", &[
        F(1, "name", S, 0), F(2, "image", S, O), F(3, "command", S, R|O), F(4, "args", S, R|O),
        F(5, "workingDir", S, O), F(6, "ports", M("core.ContainerPort"), R|O),
        F(7, "env", M("core.EnvVar"), R|O), F(8, "resources", M("core.ResourceRequirements"), O),
        F(9, "volumeMounts", M("core.VolumeMount"), R|O),
        F(10, "livenessProbe", M("core.Probe"), P|O),
        F(11, "readinessProbe", M("core.Probe"), P|O),
        F(12, "lifecycle", M("core.Lifecycle"), P|O), F(13, "terminationMessagePath", S, O),
        F(14, "imagePullPolicy", S, O), F(15, "securityContext", M("core.SecurityContext"), P|O),
        F(16, "stdin", B, O), F(17, "stdinOnce", B, O), F(18, "tty", B, O),
        F(19, "envFrom", M("core.EnvFromSource"), R|O), F(20, "terminationMessagePolicy", S, O),
        F(21, "volumeDevices", M("core.VolumeDevice"), R|O),
        F(22, "startupProbe", M("core.Probe"), P|O),
        F(23, "resizePolicy", M("core.ContainerResizePolicy"), R|O),
        F(24, "restartPolicy", S, P|O),
        F(25, "restartPolicyRules", M("core.ContainerRestartRule"), R|O),
    ]),
    ("core.ContainerExtendedResourceRequest", &[
        F(1, "containerName", S, 0), F(2, "resourceName", S, 0), F(3, "requestName", S, 0),
    ]),
    ("core.ContainerImage", &[
        F(1, "names", S, R), F(2, "sizeBytes", I64, O),
    ]),
    ("core.ContainerPort", &[
        F(1, "name", S, O), F(2, "hostPort", I32, O), F(3, "containerPort", I32, 0),
        F(4, "protocol", S, O), F(5, "hostIP", S, O),
    ]),
    ("core.ContainerResizePolicy", &[
        F(1, "resourceName", S, 0), F(2, "restartPolicy", S, 0),
    ]),
    ("core.ContainerRestartRule", &[
        F(1, "action", S, O), F(2, "exitCodes", M("core.ContainerRestartRuleOnExitCodes"), P|O),
    ]),
    ("core.ContainerRestartRuleOnExitCodes", &[
        F(1, "operator", S, O), F(2, "values", I32, R|O),
    ]),
    ("core.ContainerState", &[
        F(1, "waiting", M("core.ContainerStateWaiting"), P|O),
        F(2, "running", M("core.ContainerStateRunning"), P|O),
        F(3, "terminated", M("core.ContainerStateTerminated"), P|O),
    ]),
    ("core.ContainerStateRunning", &[
        F(1, "startedAt", M("meta.Time"), O),
    ]),
    ("core.ContainerStateTerminated", &[
        F(1, "exitCode", I32, 0), F(2, "signal", I32, O), F(3, "reason", S, O),
        F(4, "message", S, O), F(5, "startedAt", M("meta.Time"), O),
        F(6, "finishedAt", M("meta.Time"), O), F(7, "containerID", S, O),
    ]),
    ("core.ContainerStateWaiting", &[
        F(1, "reason", S, O), F(2, "message", S, O),
    ]),
    ("core.ContainerStatus", &[
        F(1, "name", S, 0), F(2, "state", M("core.ContainerState"), O),
        F(3, "lastState", M("core.ContainerState"), O), F(4, "ready", B, 0),
        F(5, "restartCount", I32, 0), F(6, "image", S, 0), F(7, "imageID", S, 0),
        F(8, "containerID", S, O), F(9, "started", B, P|O),
        F(10, "allocatedResources", MM("res.Quantity"), O),
        F(11, "resources", M("core.ResourceRequirements"), P|O),
        F(12, "volumeMounts", M("core.VolumeMountStatus"), R|O),
        F(13, "user", M("core.ContainerUser"), P|O),
        F(14, "allocatedResourcesStatus", M("core.ResourceStatus"), R|O),
        F(15, "stopSignal", S, P|O),
    ]),
    ("core.ContainerUser", &[
        F(1, "linux", M("core.LinuxContainerUser"), P|O),
    ]),
    ("core.DaemonEndpoint", &[
        F(1, "Port", I32, 0),
    ]),
    ("core.DownwardAPIProjection", &[
        F(1, "items", M("core.DownwardAPIVolumeFile"), R|O),
    ]),
    ("core.DownwardAPIVolumeFile", &[
        F(1, "path", S, 0), F(2, "fieldRef", M("core.ObjectFieldSelector"), P|O),
        F(3, "resourceFieldRef", M("core.ResourceFieldSelector"), P|O), F(4, "mode", I32, P|O),
        F(5, "user", I64, P|O),
    ]),
    ("core.DownwardAPIVolumeSource", &[
        F(1, "items", M("core.DownwardAPIVolumeFile"), R|O), F(2, "defaultMode", I32, P|O),
        F(3, "defaultUser", I64, P|O),
    ]),
    ("core.EmptyDirVolumeSource", &[
        F(1, "medium", S, O), F(2, "sizeLimit", M("res.Quantity"), P|O), F(3, "mode", I32, P|O),
    ]),
    ("core.EndpointAddress", &[
        F(1, "ip", S, 0), F(2, "targetRef", M("core.ObjectReference"), P|O),
        F(3, "hostname", S, O), F(4, "nodeName", S, P|O),
    ]),
    ("core.EndpointPort", &[
        F(1, "name", S, O), F(2, "port", I32, 0), F(3, "protocol", S, O),
        F(4, "appProtocol", S, P|O),
    ]),
    ("core.EndpointSubset", &[
        F(1, "addresses", M("core.EndpointAddress"), R|O),
        F(2, "notReadyAddresses", M("core.EndpointAddress"), R|O),
        F(3, "ports", M("core.EndpointPort"), R|O),
    ]),
    ("core.Endpoints", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "subsets", M("core.EndpointSubset"), R|O),
    ]),
    ("core.EnvFromSource", &[
        F(1, "prefix", S, O), F(2, "configMapRef", M("core.ConfigMapEnvSource"), P|O),
        F(3, "secretRef", M("core.SecretEnvSource"), P|O),
    ]),
    ("core.EnvVar", &[
        F(1, "name", S, 0), F(2, "value", S, O), F(3, "valueFrom", M("core.EnvVarSource"), P|O),
    ]),
    ("core.EnvVarSource", &[
        F(1, "fieldRef", M("core.ObjectFieldSelector"), P|O),
        F(2, "resourceFieldRef", M("core.ResourceFieldSelector"), P|O),
        F(3, "configMapKeyRef", M("core.ConfigMapKeySelector"), P|O),
        F(4, "secretKeyRef", M("core.SecretKeySelector"), P|O),
        F(5, "fileKeyRef", M("core.FileKeySelector"), P|O),
    ]),
    ("core.EphemeralContainer", &[
        F(1, "", M("core.EphemeralContainerCommon"), I), F(2, "targetContainerName", S, O),
    ]),
    ("core.EphemeralContainerCommon", &[
        F(1, "name", S, 0), F(2, "image", S, O), F(3, "command", S, R|O), F(4, "args", S, R|O),
        F(5, "workingDir", S, O), F(6, "ports", M("core.ContainerPort"), R|O),
        F(7, "env", M("core.EnvVar"), R|O), F(8, "resources", M("core.ResourceRequirements"), O),
        F(9, "volumeMounts", M("core.VolumeMount"), R|O),
        F(10, "livenessProbe", M("core.Probe"), P|O),
        F(11, "readinessProbe", M("core.Probe"), P|O),
        F(12, "lifecycle", M("core.Lifecycle"), P|O), F(13, "terminationMessagePath", S, O),
        F(14, "imagePullPolicy", S, O), F(15, "securityContext", M("core.SecurityContext"), P|O),
        F(16, "stdin", B, O), F(17, "stdinOnce", B, O), F(18, "tty", B, O),
        F(19, "envFrom", M("core.EnvFromSource"), R|O), F(20, "terminationMessagePolicy", S, O),
        F(21, "volumeDevices", M("core.VolumeDevice"), R|O),
        F(22, "startupProbe", M("core.Probe"), P|O),
        F(23, "resizePolicy", M("core.ContainerResizePolicy"), R|O),
        F(24, "restartPolicy", S, P|O),
        F(25, "restartPolicyRules", M("core.ContainerRestartRule"), R|O),
    ]),
    ("core.EphemeralVolumeSource", &[
        F(1, "volumeClaimTemplate", M("core.PersistentVolumeClaimTemplate"), P|O),
    ]),
    ("core.Event", &[
        F(1, "metadata", M("meta.ObjectMeta"), 0),
        F(2, "involvedObject", M("core.ObjectReference"), 0), F(3, "reason", S, O),
        F(4, "message", S, O), F(5, "source", M("core.EventSource"), O),
        F(6, "firstTimestamp", M("meta.Time"), O), F(7, "lastTimestamp", M("meta.Time"), O),
        F(8, "count", I32, O), F(9, "type", S, O), F(10, "eventTime", M("meta.MicroTime"), O),
        F(11, "series", M("core.EventSeries"), P|O), F(12, "action", S, O),
        F(13, "related", M("core.ObjectReference"), P|O), F(14, "reportingComponent", S, 0),
        F(15, "reportingInstance", S, 0),
    ]),
    ("core.EventSeries", &[
        F(1, "count", I32, O), F(2, "lastObservedTime", M("meta.MicroTime"), O),
    ]),
    ("core.EventSource", &[
        F(1, "component", S, O), F(2, "host", S, O),
    ]),
    ("core.EvictionResponder", &[
        F(1, "name", S, 0), F(2, "priority", I32, P),
    ]),
    ("core.ExecAction", &[
        F(1, "command", S, R|O),
    ]),
    ("core.FCVolumeSource", &[
        F(1, "targetWWNs", S, R|O), F(2, "lun", I32, P|O), F(3, "fsType", S, O),
        F(4, "readOnly", B, O), F(5, "wwids", S, R|O),
    ]),
    ("core.FileKeySelector", &[
        F(1, "volumeName", S, 0), F(2, "path", S, 0), F(3, "key", S, 0), F(4, "optional", B, P|O),
    ]),
    ("core.FlexPersistentVolumeSource", &[
        F(1, "driver", S, 0), F(2, "fsType", S, O),
        F(3, "secretRef", M("core.SecretReference"), P|O), F(4, "readOnly", B, O),
        F(5, "options", MS, O),
    ]),
    ("core.FlexVolumeSource", &[
        F(1, "driver", S, 0), F(2, "fsType", S, O),
        F(3, "secretRef", M("core.LocalObjectReference"), P|O), F(4, "readOnly", B, O),
        F(5, "options", MS, O),
    ]),
    ("core.FlockerVolumeSource", &[
        F(1, "datasetName", S, O), F(2, "datasetUUID", S, O),
    ]),
    ("core.GCEPersistentDiskVolumeSource", &[
        F(1, "pdName", S, 0), F(2, "fsType", S, O), F(3, "partition", I32, O),
        F(4, "readOnly", B, O),
    ]),
    ("core.GRPCAction", &[
        F(1, "port", I32, 0), F(2, "service", S, P), F(3, "mode", S, P|O),
    ]),
    ("core.GitRepoVolumeSource", &[
        F(1, "repository", S, 0), F(2, "revision", S, O), F(3, "directory", S, O),
    ]),
    ("core.GlusterfsPersistentVolumeSource", &[
        F(1, "endpoints", S, 0), F(2, "path", S, 0), F(3, "readOnly", B, O),
        F(4, "endpointsNamespace", S, P|O),
    ]),
    ("core.GlusterfsVolumeSource", &[
        F(1, "endpoints", S, 0), F(2, "path", S, 0), F(3, "readOnly", B, O),
    ]),
    ("core.HTTPGetAction", &[
        F(1, "path", S, O), F(2, "port", M("intstr.IntOrString"), 0), F(3, "host", S, O),
        F(4, "scheme", S, O), F(5, "httpHeaders", M("core.HTTPHeader"), R|O),
        F(6, "protocol", S, P|O),
    ]),
    ("core.HTTPHeader", &[
        F(1, "name", S, 0), F(2, "value", S, 0),
    ]),
    ("core.HostAlias", &[
        F(1, "ip", S, 0), F(2, "hostnames", S, R|O),
    ]),
    ("core.HostIP", &[
        F(1, "ip", S, 0),
    ]),
    ("core.HostPathVolumeSource", &[
        F(1, "path", S, 0), F(2, "type", S, P|O),
    ]),
    ("core.ISCSIPersistentVolumeSource", &[
        F(1, "targetPortal", S, 0), F(2, "iqn", S, 0), F(3, "lun", I32, 0),
        F(4, "iscsiInterface", S, O), F(5, "fsType", S, O), F(6, "readOnly", B, O),
        F(7, "portals", S, R|O), F(8, "chapAuthDiscovery", B, O),
        F(10, "secretRef", M("core.SecretReference"), P|O), F(11, "chapAuthSession", B, O),
        F(12, "initiatorName", S, P|O),
    ]),
    ("core.ISCSIVolumeSource", &[
        F(1, "targetPortal", S, 0), F(2, "iqn", S, 0), F(3, "lun", I32, 0),
        F(4, "iscsiInterface", S, O), F(5, "fsType", S, O), F(6, "readOnly", B, O),
        F(7, "portals", S, R|O), F(8, "chapAuthDiscovery", B, O),
        F(10, "secretRef", M("core.LocalObjectReference"), P|O), F(11, "chapAuthSession", B, O),
        F(12, "initiatorName", S, P|O),
    ]),
    ("core.ImageVolumeSource", &[
        F(1, "reference", S, O), F(2, "pullPolicy", S, O),
    ]),
    ("core.ImageVolumeStatus", &[
        F(1, "imageRef", S, O),
    ]),
    ("core.KeyToPath", &[
        F(1, "key", S, 0), F(2, "path", S, 0), F(3, "mode", I32, P|O), F(4, "user", I64, P|O),
    ]),
    ("core.Lifecycle", &[
        F(1, "postStart", M("core.LifecycleHandler"), P|O),
        F(2, "preStop", M("core.LifecycleHandler"), P|O), F(3, "stopSignal", S, P|O),
    ]),
    ("core.LifecycleHandler", &[
        F(1, "exec", M("core.ExecAction"), P|O), F(2, "httpGet", M("core.HTTPGetAction"), P|O),
        F(3, "tcpSocket", M("core.TCPSocketAction"), P|O),
        F(4, "sleep", M("core.SleepAction"), P|O),
    ]),
    ("core.LimitRange", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("core.LimitRangeSpec"), O),
    ]),
    ("core.LimitRangeItem", &[
        F(1, "type", S, 0), F(2, "max", MM("res.Quantity"), O), F(3, "min", MM("res.Quantity"), O),
        F(4, "default", MM("res.Quantity"), O), F(5, "defaultRequest", MM("res.Quantity"), O),
        F(6, "maxLimitRequestRatio", MM("res.Quantity"), O),
    ]),
    ("core.LimitRangeSpec", &[
        F(1, "limits", M("core.LimitRangeItem"), R),
    ]),
    ("core.LinuxContainerUser", &[
        F(1, "uid", I64, 0), F(2, "gid", I64, 0), F(3, "supplementalGroups", I64, R|O),
    ]),
    ("core.LoadBalancerIngress", &[
        F(1, "ip", S, O), F(2, "hostname", S, O), F(3, "ipMode", S, P|O),
        F(4, "ports", M("core.PortStatus"), R|O),
    ]),
    ("core.LoadBalancerStatus", &[
        F(1, "ingress", M("core.LoadBalancerIngress"), R|O),
    ]),
    ("core.LocalObjectReference", &[
        F(1, "name", S, O),
    ]),
    ("core.LocalVolumeSource", &[
        F(1, "path", S, 0), F(2, "fsType", S, P|O),
    ]),
    ("core.ModifyVolumeStatus", &[
        F(1, "targetVolumeAttributesClassName", S, O), F(2, "status", S, 0),
    ]),
    ("core.NFSVolumeSource", &[
        F(1, "server", S, 0), F(2, "path", S, 0), F(3, "readOnly", B, O),
    ]),
    ("core.Namespace", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("core.NamespaceSpec"), O),
        F(3, "status", M("core.NamespaceStatus"), O),
    ]),
    ("core.NamespaceCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(4, "lastTransitionTime", M("meta.Time"), O),
        F(5, "reason", S, O), F(6, "message", S, O),
    ]),
    ("core.NamespaceSpec", &[
        F(1, "finalizers", S, R|O),
    ]),
    ("core.NamespaceStatus", &[
        F(1, "phase", S, O), F(2, "conditions", M("core.NamespaceCondition"), R|O),
    ]),
    ("core.Node", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("core.NodeSpec"), O),
        F(3, "status", M("core.NodeStatus"), O),
    ]),
    ("core.NodeAddress", &[
        F(1, "type", S, 0), F(2, "address", S, 0),
    ]),
    ("core.NodeAffinity", &[
        F(1, "requiredDuringSchedulingIgnoredDuringExecution", M("core.NodeSelector"), P|O),
        F(2, "preferredDuringSchedulingIgnoredDuringExecution", M("core.PreferredSchedulingTerm"), R|O),
    ]),
    ("core.NodeAllocatableMappedResources", &[
        F(1, "name", S, 0), F(2, "quantity", M("res.Quantity"), P),
    ]),
    ("core.NodeAllocatableOverheadResources", &[
        F(1, "name", S, 0), F(2, "perPod", M("res.Quantity"), P|O),
        F(3, "perContainer", M("res.Quantity"), P|O),
    ]),
    ("core.NodeAllocatableResourceClaimStatus", &[
        F(1, "resourceClaimName", S, 0), F(2, "containers", S, R|O),
        F(4, "mapping", M("core.NodeAllocatableMappedResources"), R|O),
        F(5, "overhead", M("core.NodeAllocatableOverheadResources"), R|O),
    ]),
    ("core.NodeCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastHeartbeatTime", M("meta.Time"), O),
        F(4, "lastTransitionTime", M("meta.Time"), O), F(5, "reason", S, O), F(6, "message", S, O),
    ]),
    ("core.NodeConfigSource", &[
        F(2, "configMap", M("core.ConfigMapNodeConfigSource"), P|O),
    ]),
    ("core.NodeConfigStatus", &[
        F(1, "assigned", M("core.NodeConfigSource"), P|O),
        F(2, "active", M("core.NodeConfigSource"), P|O),
        F(3, "lastKnownGood", M("core.NodeConfigSource"), P|O), F(4, "error", S, O),
    ]),
    ("core.NodeDaemonEndpoints", &[
        F(1, "kubeletEndpoint", M("core.DaemonEndpoint"), O),
    ]),
    ("core.NodeFeatures", &[
        F(1, "supplementalGroupsPolicy", B, P|O),
    ]),
    ("core.NodePodPreemptionPolicy", &[
        F(1, "disableResizePreemption", S, R|O),
    ]),
    ("core.NodeRuntimeHandler", &[
        F(1, "name", S, 0), F(2, "features", M("core.NodeRuntimeHandlerFeatures"), P|O),
    ]),
    ("core.NodeRuntimeHandlerFeatures", &[
        F(1, "recursiveReadOnlyMounts", B, P|O), F(2, "userNamespaces", B, P|O),
    ]),
    ("core.NodeSelector", &[
        F(1, "nodeSelectorTerms", M("core.NodeSelectorTerm"), R),
    ]),
    ("core.NodeSelectorRequirement", &[
        F(1, "key", S, 0), F(2, "operator", S, 0), F(3, "values", S, R|O),
    ]),
    ("core.NodeSelectorTerm", &[
        F(1, "matchExpressions", M("core.NodeSelectorRequirement"), R|O),
        F(2, "matchFields", M("core.NodeSelectorRequirement"), R|O),
    ]),
    ("core.NodeSpec", &[
        F(1, "podCIDR", S, O), F(2, "externalID", S, O), F(3, "providerID", S, O),
        F(4, "unschedulable", B, O), F(5, "taints", M("core.Taint"), R|O),
        F(6, "configSource", M("core.NodeConfigSource"), P|O), F(7, "podCIDRs", S, R|O),
        F(8, "podPreemptionPolicy", M("core.NodePodPreemptionPolicy"), P|O),
    ]),
    ("core.NodeStatus", &[
        F(1, "capacity", MM("res.Quantity"), O), F(2, "allocatable", MM("res.Quantity"), O),
        F(3, "phase", S, O), F(4, "conditions", M("core.NodeCondition"), R|O),
        F(5, "addresses", M("core.NodeAddress"), R|O),
        F(6, "daemonEndpoints", M("core.NodeDaemonEndpoints"), O),
        F(7, "nodeInfo", M("core.NodeSystemInfo"), O),
        F(8, "images", M("core.ContainerImage"), R|O), F(9, "volumesInUse", S, R|O),
        F(10, "volumesAttached", M("core.AttachedVolume"), R|O),
        F(11, "config", M("core.NodeConfigStatus"), P|O),
        F(12, "runtimeHandlers", M("core.NodeRuntimeHandler"), R|O),
        F(13, "features", M("core.NodeFeatures"), P|O), F(14, "declaredFeatures", S, R|O),
    ]),
    ("core.NodeSwapStatus", &[
        F(1, "capacity", I64, P|O),
    ]),
    ("core.NodeSystemInfo", &[
        F(1, "machineID", S, 0), F(2, "systemUUID", S, 0), F(3, "bootID", S, 0),
        F(4, "kernelVersion", S, 0), F(5, "osImage", S, 0), F(6, "containerRuntimeVersion", S, 0),
        F(7, "kubeletVersion", S, 0), F(8, "kubeProxyVersion", S, 0),
        F(9, "operatingSystem", S, 0), F(10, "architecture", S, 0),
        F(11, "swap", M("core.NodeSwapStatus"), P|O),
    ]),
    ("core.ObjectFieldSelector", &[
        F(1, "apiVersion", S, O), F(2, "fieldPath", S, 0),
    ]),
    ("core.ObjectReference", &[
        F(1, "kind", S, O), F(2, "namespace", S, O), F(3, "name", S, O), F(4, "uid", S, O),
        F(5, "apiVersion", S, O), F(6, "resourceVersion", S, O), F(7, "fieldPath", S, O),
    ]),
    ("core.PersistentVolume", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("core.PersistentVolumeSpec"), O),
        F(3, "status", M("core.PersistentVolumeStatus"), O),
    ]),
    ("core.PersistentVolumeClaim", &[
        F(1, "metadata", M("meta.ObjectMeta"), O),
        F(2, "spec", M("core.PersistentVolumeClaimSpec"), O),
        F(3, "status", M("core.PersistentVolumeClaimStatus"), O),
    ]),
    ("core.PersistentVolumeClaimCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastProbeTime", M("meta.Time"), O),
        F(4, "lastTransitionTime", M("meta.Time"), O), F(5, "reason", S, O), F(6, "message", S, O),
    ]),
    ("core.PersistentVolumeClaimSpec", &[
        F(1, "accessModes", S, R|O), F(2, "resources", M("core.VolumeResourceRequirements"), O),
        F(3, "volumeName", S, O), F(4, "selector", M("meta.LabelSelector"), P|O),
        F(5, "storageClassName", S, P|O), F(6, "volumeMode", S, P|O),
        F(7, "dataSource", M("core.TypedLocalObjectReference"), P|O),
        F(8, "dataSourceRef", M("core.TypedObjectReference"), P|O),
        F(9, "volumeAttributesClassName", S, P|O),
    ]),
    ("core.PersistentVolumeClaimStatus", &[
        F(1, "phase", S, O), F(2, "accessModes", S, R|O), F(3, "capacity", MM("res.Quantity"), O),
        F(4, "conditions", M("core.PersistentVolumeClaimCondition"), R|O),
        F(5, "allocatedResources", MM("res.Quantity"), O),
        F(7, "allocatedResourceStatuses", MS, O), F(8, "currentVolumeAttributesClassName", S, P|O),
        F(9, "modifyVolumeStatus", M("core.ModifyVolumeStatus"), P|O),
        F(10, "healthStatus", M("core.VolumeHealthStatus"), P|O),
    ]),
    ("core.PersistentVolumeClaimTemplate", &[
        F(1, "metadata", M("meta.ObjectMeta"), O),
        F(2, "spec", M("core.PersistentVolumeClaimSpec"), 0),
    ]),
    ("core.PersistentVolumeClaimVolumeSource", &[
        F(1, "claimName", S, 0), F(2, "readOnly", B, O),
    ]),
    ("core.PersistentVolumeSource", &[
        F(1, "gcePersistentDisk", M("core.GCEPersistentDiskVolumeSource"), P|O),
        F(2, "awsElasticBlockStore", M("core.AWSElasticBlockStoreVolumeSource"), P|O),
        F(3, "hostPath", M("core.HostPathVolumeSource"), P|O),
        F(4, "glusterfs", M("core.GlusterfsPersistentVolumeSource"), P|O),
        F(5, "nfs", M("core.NFSVolumeSource"), P|O),
        F(6, "rbd", M("core.RBDPersistentVolumeSource"), P|O),
        F(7, "iscsi", M("core.ISCSIPersistentVolumeSource"), P|O),
        F(8, "cinder", M("core.CinderPersistentVolumeSource"), P|O),
        F(9, "cephfs", M("core.CephFSPersistentVolumeSource"), P|O),
        F(10, "fc", M("core.FCVolumeSource"), P|O),
        F(11, "flocker", M("core.FlockerVolumeSource"), P|O),
        F(12, "flexVolume", M("core.FlexPersistentVolumeSource"), P|O),
        F(13, "azureFile", M("core.AzureFilePersistentVolumeSource"), P|O),
        F(14, "vsphereVolume", M("core.VsphereVirtualDiskVolumeSource"), P|O),
        F(15, "quobyte", M("core.QuobyteVolumeSource"), P|O),
        F(16, "azureDisk", M("core.AzureDiskVolumeSource"), P|O),
        F(17, "photonPersistentDisk", M("core.PhotonPersistentDiskVolumeSource"), P|O),
        F(18, "portworxVolume", M("core.PortworxVolumeSource"), P|O),
        F(19, "scaleIO", M("core.ScaleIOPersistentVolumeSource"), P|O),
        F(20, "local", M("core.LocalVolumeSource"), P|O),
        F(21, "storageos", M("core.StorageOSPersistentVolumeSource"), P|O),
        F(22, "csi", M("core.CSIPersistentVolumeSource"), P|O),
    ]),
    ("core.PersistentVolumeSpec", &[
        F(1, "capacity", MM("res.Quantity"), O), F(2, "", M("core.PersistentVolumeSource"), I),
        F(3, "accessModes", S, R|O), F(4, "claimRef", M("core.ObjectReference"), P|O),
        F(5, "persistentVolumeReclaimPolicy", S, O), F(6, "storageClassName", S, O),
        F(7, "mountOptions", S, R|O), F(8, "volumeMode", S, P|O),
        F(9, "nodeAffinity", M("core.VolumeNodeAffinity"), P|O),
        F(10, "volumeAttributesClassName", S, P|O),
    ]),
    ("core.PersistentVolumeStatus", &[
        F(1, "phase", S, O), F(2, "message", S, O), F(3, "reason", S, O),
        F(4, "lastPhaseTransitionTime", M("meta.Time"), P|O),
    ]),
    ("core.PhotonPersistentDiskVolumeSource", &[
        F(1, "pdID", S, 0), F(2, "fsType", S, O),
    ]),
    ("core.Pod", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("core.PodSpec"), O),
        F(3, "status", M("core.PodStatus"), O),
    ]),
    ("core.PodAffinity", &[
        F(1, "requiredDuringSchedulingIgnoredDuringExecution", M("core.PodAffinityTerm"), R|O),
        F(2, "preferredDuringSchedulingIgnoredDuringExecution", M("core.WeightedPodAffinityTerm"), R|O),
    ]),
    ("core.PodAffinityTerm", &[
        F(1, "labelSelector", M("meta.LabelSelector"), P|O), F(2, "namespaces", S, R|O),
        F(3, "topologyKey", S, 0), F(4, "namespaceSelector", M("meta.LabelSelector"), P|O),
        F(5, "matchLabelKeys", S, R|O), F(6, "mismatchLabelKeys", S, R|O),
    ]),
    ("core.PodAntiAffinity", &[
        F(1, "requiredDuringSchedulingIgnoredDuringExecution", M("core.PodAffinityTerm"), R|O),
        F(2, "preferredDuringSchedulingIgnoredDuringExecution", M("core.WeightedPodAffinityTerm"), R|O),
    ]),
    ("core.PodCertificateProjection", &[
        F(1, "signerName", S, O), F(2, "keyType", S, O), F(3, "maxExpirationSeconds", I32, P|O),
        F(4, "credentialBundlePath", S, O), F(5, "keyPath", S, O),
        F(6, "certificateChainPath", S, O), F(7, "userAnnotations", MS, O), F(8, "user", I64, P|O),
    ]),
    ("core.PodCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastProbeTime", M("meta.Time"), O),
        F(4, "lastTransitionTime", M("meta.Time"), O), F(5, "reason", S, O), F(6, "message", S, O),
        F(7, "observedGeneration", I64, O),
    ]),
    ("core.PodDNSConfig", &[
        F(1, "nameservers", S, R|O), F(2, "searches", S, R|O),
        F(3, "options", M("core.PodDNSConfigOption"), R|O),
    ]),
    ("core.PodDNSConfigOption", &[
        F(1, "name", S, O), F(2, "value", S, P|O),
    ]),
    ("core.PodExtendedResourceClaimStatus", &[
        F(1, "requestMappings", M("core.ContainerExtendedResourceRequest"), R),
        F(2, "resourceClaimName", S, 0),
    ]),
    ("core.PodIP", &[
        F(1, "ip", S, 0),
    ]),
    ("core.PodOS", &[
        F(1, "name", S, 0),
    ]),
    ("core.PodReadinessGate", &[
        F(1, "conditionType", S, 0),
    ]),
    ("core.PodResourceClaim", &[
        F(1, "name", S, 0), F(3, "resourceClaimName", S, P|O),
        F(4, "resourceClaimTemplateName", S, P|O),
    ]),
    ("core.PodResourceClaimStatus", &[
        F(1, "name", S, 0), F(2, "resourceClaimName", S, P|O),
    ]),
    ("core.PodSchedulingGate", &[
        F(1, "name", S, 0),
    ]),
    ("core.PodSchedulingGroup", &[
        F(1, "podGroupName", S, P|O),
    ]),
    ("core.PodSecurityContext", &[
        F(1, "seLinuxOptions", M("core.SELinuxOptions"), P|O), F(2, "runAsUser", I64, P|O),
        F(3, "runAsNonRoot", B, P|O), F(4, "supplementalGroups", I64, R|O),
        F(5, "fsGroup", I64, P|O), F(6, "runAsGroup", I64, P|O),
        F(7, "sysctls", M("core.Sysctl"), R|O),
        F(8, "windowsOptions", M("core.WindowsSecurityContextOptions"), P|O),
        F(9, "fsGroupChangePolicy", S, P|O),
        F(10, "seccompProfile", M("core.SeccompProfile"), P|O),
        F(11, "appArmorProfile", M("core.AppArmorProfile"), P|O),
        F(12, "supplementalGroupsPolicy", S, P|O), F(13, "seLinuxChangePolicy", S, P|O),
    ]),
    ("core.PodSpec", &[
        F(1, "volumes", M("core.Volume"), R|O), F(2, "containers", M("core.Container"), R),
        F(3, "restartPolicy", S, O), F(4, "terminationGracePeriodSeconds", I64, P|O),
        F(5, "activeDeadlineSeconds", I64, P|O), F(6, "dnsPolicy", S, O),
        F(7, "nodeSelector", MS, O), F(8, "serviceAccountName", S, O),
        F(9, "serviceAccount", S, O), F(10, "nodeName", S, O), F(11, "hostNetwork", B, O),
        F(12, "hostPID", B, O), F(13, "hostIPC", B, O),
        F(14, "securityContext", M("core.PodSecurityContext"), P|O),
        F(15, "imagePullSecrets", M("core.LocalObjectReference"), R|O), F(16, "hostname", S, O),
        F(17, "subdomain", S, O), F(18, "affinity", M("core.Affinity"), P|O),
        F(19, "schedulerName", S, O), F(20, "initContainers", M("core.Container"), R|O),
        F(21, "automountServiceAccountToken", B, P|O),
        F(22, "tolerations", M("core.Toleration"), R|O),
        F(23, "hostAliases", M("core.HostAlias"), R|O), F(24, "priorityClassName", S, O),
        F(25, "priority", I32, P|O), F(26, "dnsConfig", M("core.PodDNSConfig"), P|O),
        F(27, "shareProcessNamespace", B, P|O),
        F(28, "readinessGates", M("core.PodReadinessGate"), R|O),
        F(29, "runtimeClassName", S, P|O), F(30, "enableServiceLinks", B, P|O),
        F(31, "preemptionPolicy", S, P|O), F(32, "overhead", MM("res.Quantity"), O),
        F(33, "topologySpreadConstraints", M("core.TopologySpreadConstraint"), R|O),
        F(34, "ephemeralContainers", M("core.EphemeralContainer"), R|O),
        F(35, "setHostnameAsFQDN", B, P|O), F(36, "os", M("core.PodOS"), P|O),
        F(37, "hostUsers", B, P|O), F(38, "schedulingGates", M("core.PodSchedulingGate"), R|O),
        F(39, "resourceClaims", M("core.PodResourceClaim"), R|O),
        F(40, "resources", M("core.ResourceRequirements"), P|O), F(41, "hostnameOverride", S, P|O),
        F(43, "schedulingGroup", M("core.PodSchedulingGroup"), P|O),
        F(44, "evictionResponders", M("core.EvictionResponder"), R|O),
    ]),
    ("core.PodStatus", &[
        F(1, "phase", S, O), F(2, "conditions", M("core.PodCondition"), R|O),
        F(3, "message", S, O), F(4, "reason", S, O), F(5, "hostIP", S, O), F(6, "podIP", S, O),
        F(7, "startTime", M("meta.Time"), P|O),
        F(8, "containerStatuses", M("core.ContainerStatus"), R|O), F(9, "qosClass", S, O),
        F(10, "initContainerStatuses", M("core.ContainerStatus"), R|O),
        F(11, "nominatedNodeName", S, O), F(12, "podIPs", M("core.PodIP"), R|O),
        F(13, "ephemeralContainerStatuses", M("core.ContainerStatus"), R|O), F(14, "resize", S, O),
        F(15, "resourceClaimStatuses", M("core.PodResourceClaimStatus"), R|O),
        F(16, "hostIPs", M("core.HostIP"), R|O), F(17, "observedGeneration", I64, O),
        F(18, "extendedResourceClaimStatus", M("core.PodExtendedResourceClaimStatus"), P|O),
        F(19, "allocatedResources", MM("res.Quantity"), O),
        F(20, "resources", M("core.ResourceRequirements"), P|O),
        F(21, "nodeAllocatableResourceClaimStatuses", M("core.NodeAllocatableResourceClaimStatus"), R|O),
        F(22, "volumeHealth", M("core.PodVolumeHealth"), R|O),
    ]),
    ("core.PodTemplateSpec", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("core.PodSpec"), O),
    ]),
    ("core.PodVolumeHealth", &[
        F(1, "name", S, 0), F(2, "healthConditions", M("core.VolumeHealthCondition"), R|O),
        F(3, "lastTransitionTime", M("meta.Time"), O),
    ]),
    ("core.PortStatus", &[
        F(1, "port", I32, 0), F(2, "protocol", S, 0), F(3, "error", S, P|O),
    ]),
    ("core.PortworxVolumeSource", &[
        F(1, "volumeID", S, 0), F(2, "fsType", S, O), F(3, "readOnly", B, O),
    ]),
    ("core.PreferredSchedulingTerm", &[
        F(1, "weight", I32, 0), F(2, "preference", M("core.NodeSelectorTerm"), 0),
    ]),
    ("core.Probe", &[
        F(1, "", M("core.ProbeHandler"), I), F(2, "initialDelaySeconds", I32, O),
        F(3, "timeoutSeconds", I32, O), F(4, "periodSeconds", I32, O),
        F(5, "successThreshold", I32, O), F(6, "failureThreshold", I32, O),
        F(7, "terminationGracePeriodSeconds", I64, P|O),
    ]),
    ("core.ProbeHandler", &[
        F(1, "exec", M("core.ExecAction"), P|O), F(2, "httpGet", M("core.HTTPGetAction"), P|O),
        F(3, "tcpSocket", M("core.TCPSocketAction"), P|O), F(4, "grpc", M("core.GRPCAction"), P|O),
    ]),
    ("core.ProjectedVolumeSource", &[
        F(1, "sources", M("core.VolumeProjection"), R), F(2, "defaultMode", I32, P|O),
        F(3, "defaultUser", I64, P|O),
    ]),
    ("core.QuobyteVolumeSource", &[
        F(1, "registry", S, 0), F(2, "volume", S, 0), F(3, "readOnly", B, O), F(4, "user", S, O),
        F(5, "group", S, O), F(6, "tenant", S, O),
    ]),
    ("core.RBDPersistentVolumeSource", &[
        F(1, "monitors", S, R), F(2, "image", S, 0), F(3, "fsType", S, O), F(4, "pool", S, O),
        F(5, "user", S, O), F(6, "keyring", S, O),
        F(7, "secretRef", M("core.SecretReference"), P|O), F(8, "readOnly", B, O),
    ]),
    ("core.RBDVolumeSource", &[
        F(1, "monitors", S, R), F(2, "image", S, 0), F(3, "fsType", S, O), F(4, "pool", S, O),
        F(5, "user", S, O), F(6, "keyring", S, O),
        F(7, "secretRef", M("core.LocalObjectReference"), P|O), F(8, "readOnly", B, O),
    ]),
    ("core.ReplicationController", &[
        F(1, "metadata", M("meta.ObjectMeta"), O),
        F(2, "spec", M("core.ReplicationControllerSpec"), O),
        F(3, "status", M("core.ReplicationControllerStatus"), O),
    ]),
    ("core.ReplicationControllerCondition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "lastTransitionTime", M("meta.Time"), O),
        F(4, "reason", S, O), F(5, "message", S, O),
    ]),
    ("core.ReplicationControllerSpec", &[
        F(1, "replicas", I32, P|O), F(2, "selector", MS, O),
        F(3, "template", M("core.PodTemplateSpec"), P|O), F(4, "minReadySeconds", I32, O),
    ]),
    ("core.ReplicationControllerStatus", &[
        F(1, "replicas", I32, 0), F(2, "fullyLabeledReplicas", I32, O),
        F(3, "observedGeneration", I64, O), F(4, "readyReplicas", I32, O),
        F(5, "availableReplicas", I32, O),
        F(6, "conditions", M("core.ReplicationControllerCondition"), R|O),
    ]),
    ("core.ResourceClaim", &[
        F(1, "name", S, 0), F(2, "request", S, O),
    ]),
    ("core.ResourceFieldSelector", &[
        F(1, "containerName", S, O), F(2, "resource", S, 0), F(3, "divisor", M("res.Quantity"), O),
    ]),
    ("core.ResourceHealth", &[
        F(1, "resourceID", S, 0), F(2, "health", S, O), F(6, "message", S, P|O),
    ]),
    ("core.ResourceQuota", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("core.ResourceQuotaSpec"), O),
        F(3, "status", M("core.ResourceQuotaStatus"), O),
    ]),
    ("core.ResourceQuotaSpec", &[
        F(1, "hard", MM("res.Quantity"), O), F(2, "scopes", S, R|O),
        F(3, "scopeSelector", M("core.ScopeSelector"), P|O),
    ]),
    ("core.ResourceQuotaStatus", &[
        F(1, "hard", MM("res.Quantity"), O), F(2, "used", MM("res.Quantity"), O),
    ]),
    ("core.ResourceRequirements", &[
        F(1, "limits", MM("res.Quantity"), O), F(2, "requests", MM("res.Quantity"), O),
        F(3, "claims", M("core.ResourceClaim"), R|O),
    ]),
    ("core.ResourceStatus", &[
        F(1, "name", S, 0), F(2, "resources", M("core.ResourceHealth"), R|O),
    ]),
    ("core.SELinuxOptions", &[
        F(1, "user", S, O), F(2, "role", S, O), F(3, "type", S, O), F(4, "level", S, O),
    ]),
    ("core.ScaleIOPersistentVolumeSource", &[
        F(1, "gateway", S, 0), F(2, "system", S, 0),
        F(3, "secretRef", M("core.SecretReference"), P), F(4, "sslEnabled", B, O),
        F(5, "protectionDomain", S, O), F(6, "storagePool", S, O), F(7, "storageMode", S, O),
        F(8, "volumeName", S, O), F(9, "fsType", S, O), F(10, "readOnly", B, O),
    ]),
    ("core.ScaleIOVolumeSource", &[
        F(1, "gateway", S, 0), F(2, "system", S, 0),
        F(3, "secretRef", M("core.LocalObjectReference"), P), F(4, "sslEnabled", B, O),
        F(5, "protectionDomain", S, O), F(6, "storagePool", S, O), F(7, "storageMode", S, O),
        F(8, "volumeName", S, O), F(9, "fsType", S, O), F(10, "readOnly", B, O),
    ]),
    ("core.ScopeSelector", &[
        F(1, "matchExpressions", M("core.ScopedResourceSelectorRequirement"), R|O),
    ]),
    ("core.ScopedResourceSelectorRequirement", &[
        F(1, "scopeName", S, 0), F(2, "operator", S, 0), F(3, "values", S, R|O),
    ]),
    ("core.SeccompProfile", &[
        F(1, "type", S, 0), F(2, "localhostProfile", S, P|O),
    ]),
    ("core.Secret", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "data", MY, O), F(3, "type", S, O),
        F(4, "stringData", MS, O), F(5, "immutable", B, P|O),
    ]),
    ("core.SecretEnvSource", &[
        F(1, "", M("core.LocalObjectReference"), I), F(2, "optional", B, P|O),
    ]),
    ("core.SecretKeySelector", &[
        F(1, "", M("core.LocalObjectReference"), I), F(2, "key", S, 0), F(3, "optional", B, P|O),
    ]),
    ("core.SecretProjection", &[
        F(1, "", M("core.LocalObjectReference"), I), F(2, "items", M("core.KeyToPath"), R|O),
        F(4, "optional", B, P|O),
    ]),
    ("core.SecretReference", &[
        F(1, "name", S, O), F(2, "namespace", S, O),
    ]),
    ("core.SecretVolumeSource", &[
        F(1, "secretName", S, O), F(2, "items", M("core.KeyToPath"), R|O),
        F(3, "defaultMode", I32, P|O), F(4, "optional", B, P|O), F(5, "defaultUser", I64, P|O),
    ]),
    ("core.SecurityContext", &[
        F(1, "capabilities", M("core.Capabilities"), P|O), F(2, "privileged", B, P|O),
        F(3, "seLinuxOptions", M("core.SELinuxOptions"), P|O), F(4, "runAsUser", I64, P|O),
        F(5, "runAsNonRoot", B, P|O), F(6, "readOnlyRootFilesystem", B, P|O),
        F(7, "allowPrivilegeEscalation", B, P|O), F(8, "runAsGroup", I64, P|O),
        F(9, "procMount", S, P|O),
        F(10, "windowsOptions", M("core.WindowsSecurityContextOptions"), P|O),
        F(11, "seccompProfile", M("core.SeccompProfile"), P|O),
        F(12, "appArmorProfile", M("core.AppArmorProfile"), P|O),
    ]),
    ("core.Service", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("core.ServiceSpec"), O),
        F(3, "status", M("core.ServiceStatus"), O),
    ]),
    ("core.ServiceAccount", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "secrets", M("core.ObjectReference"), R|O),
        F(3, "imagePullSecrets", M("core.LocalObjectReference"), R|O),
        F(4, "automountServiceAccountToken", B, P|O),
    ]),
    ("core.ServiceAccountTokenProjection", &[
        F(1, "audience", S, O), F(2, "expirationSeconds", I64, P|O), F(3, "path", S, 0),
        F(4, "user", I64, P|O),
    ]),
    ("core.ServicePort", &[
        F(1, "name", S, O), F(2, "protocol", S, O), F(3, "port", I32, 0),
        F(4, "targetPort", M("intstr.IntOrString"), O), F(5, "nodePort", I32, O),
        F(6, "appProtocol", S, P|O),
    ]),
    ("core.ServiceSpec", &[
        F(1, "ports", M("core.ServicePort"), R|O), F(2, "selector", MS, O),
        F(3, "clusterIP", S, O), F(4, "type", S, O), F(5, "externalIPs", S, R|O),
        F(7, "sessionAffinity", S, O), F(8, "loadBalancerIP", S, O),
        F(9, "loadBalancerSourceRanges", S, R|O), F(10, "externalName", S, O),
        F(11, "externalTrafficPolicy", S, O), F(12, "healthCheckNodePort", I32, O),
        F(13, "publishNotReadyAddresses", B, O),
        F(14, "sessionAffinityConfig", M("core.SessionAffinityConfig"), P|O),
        F(17, "ipFamilyPolicy", S, P|O), F(18, "clusterIPs", S, R|O), F(19, "ipFamilies", S, R|O),
        F(20, "allocateLoadBalancerNodePorts", B, P|O), F(21, "loadBalancerClass", S, P|O),
        F(22, "internalTrafficPolicy", S, P|O), F(23, "trafficDistribution", S, P|O),
    ]),
    ("core.ServiceStatus", &[
        F(1, "loadBalancer", M("core.LoadBalancerStatus"), O),
        F(2, "conditions", M("meta.Condition"), R|O),
    ]),
    ("core.SessionAffinityConfig", &[
        F(1, "clientIP", M("core.ClientIPConfig"), P|O),
    ]),
    ("core.SleepAction", &[
        F(1, "seconds", I64, 0),
    ]),
    ("core.StorageOSPersistentVolumeSource", &[
        F(1, "volumeName", S, O), F(2, "volumeNamespace", S, O), F(3, "fsType", S, O),
        F(4, "readOnly", B, O), F(5, "secretRef", M("core.ObjectReference"), P|O),
    ]),
    ("core.StorageOSVolumeSource", &[
        F(1, "volumeName", S, O), F(2, "volumeNamespace", S, O), F(3, "fsType", S, O),
        F(4, "readOnly", B, O), F(5, "secretRef", M("core.LocalObjectReference"), P|O),
    ]),
    ("core.Sysctl", &[
        F(1, "name", S, 0), F(2, "value", S, 0),
    ]),
    ("core.TCPSocketAction", &[
        F(1, "port", M("intstr.IntOrString"), 0), F(2, "host", S, O),
    ]),
    ("core.Taint", &[
        F(1, "key", S, 0), F(2, "value", S, O), F(3, "effect", S, 0),
        F(4, "timeAdded", M("meta.Time"), P|O),
    ]),
    ("core.Toleration", &[
        F(1, "key", S, O), F(2, "operator", S, O), F(3, "value", S, O), F(4, "effect", S, O),
        F(5, "tolerationSeconds", I64, P|O),
    ]),
    ("core.TopologySelectorLabelRequirement", &[F(1, "key", S, 0), F(2, "values", S, R)]),
    ("core.TopologySelectorTerm", &[
        F(1, "matchLabelExpressions", M("core.TopologySelectorLabelRequirement"), R|O),
    ]),
    ("core.TopologySpreadConstraint", &[
        F(1, "maxSkew", I32, 0), F(2, "topologyKey", S, 0), F(3, "whenUnsatisfiable", S, 0),
        F(4, "labelSelector", M("meta.LabelSelector"), P|O), F(5, "minDomains", I32, P|O),
        F(6, "nodeAffinityPolicy", S, P|O), F(7, "nodeTaintsPolicy", S, P|O),
        F(8, "matchLabelKeys", S, R|O),
    ]),
    ("core.TypedLocalObjectReference", &[
        F(1, "apiGroup", S, P), F(2, "kind", S, 0), F(3, "name", S, 0),
    ]),
    ("core.TypedObjectReference", &[
        F(1, "apiGroup", S, P), F(2, "kind", S, 0), F(3, "name", S, 0), F(4, "namespace", S, P|O),
    ]),
    ("core.Volume", &[
        F(1, "name", S, 0), F(2, "", M("core.VolumeSource"), I),
    ]),
    ("core.VolumeDevice", &[
        F(1, "name", S, 0), F(2, "devicePath", S, 0),
    ]),
    ("core.VolumeHealthCondition", &[
        F(1, "status", S, 0), F(2, "reason", S, 0), F(3, "message", S, O),
    ]),
    ("core.VolumeHealthStatus", &[
        F(1, "healthConditions", M("core.VolumeHealthCondition"), R|O),
        F(2, "lastTransitionTime", M("meta.Time"), O),
    ]),
    ("core.VolumeMount", &[
        F(1, "name", S, 0), F(2, "readOnly", B, O), F(3, "mountPath", S, 0), F(4, "subPath", S, O),
        F(5, "mountPropagation", S, P|O), F(6, "subPathExpr", S, O),
        F(7, "recursiveReadOnly", S, P|O), F(8, "bindMountOptions", S, R|O),
    ]),
    ("core.VolumeMountStatus", &[
        F(1, "name", S, 0), F(2, "mountPath", S, 0), F(3, "readOnly", B, O),
        F(4, "recursiveReadOnly", S, P|O), F(5, "volumeStatus", M("core.VolumeStatus"), P|O),
    ]),
    ("core.VolumeNodeAffinity", &[
        F(1, "required", M("core.NodeSelector"), P|O),
    ]),
    ("core.VolumeProjection", &[
        F(1, "secret", M("core.SecretProjection"), P|O),
        F(2, "downwardAPI", M("core.DownwardAPIProjection"), P|O),
        F(3, "configMap", M("core.ConfigMapProjection"), P|O),
        F(4, "serviceAccountToken", M("core.ServiceAccountTokenProjection"), P|O),
        F(5, "clusterTrustBundle", M("core.ClusterTrustBundleProjection"), P|O),
        F(6, "podCertificate", M("core.PodCertificateProjection"), P|O),
    ]),
    ("core.VolumeResourceRequirements", &[
        F(1, "limits", MM("res.Quantity"), O), F(2, "requests", MM("res.Quantity"), O),
    ]),
    ("core.VolumeSource", &[
        F(1, "hostPath", M("core.HostPathVolumeSource"), P|O),
        F(2, "emptyDir", M("core.EmptyDirVolumeSource"), P|O),
        F(3, "gcePersistentDisk", M("core.GCEPersistentDiskVolumeSource"), P|O),
        F(4, "awsElasticBlockStore", M("core.AWSElasticBlockStoreVolumeSource"), P|O),
        F(5, "gitRepo", M("core.GitRepoVolumeSource"), P|O),
        F(6, "secret", M("core.SecretVolumeSource"), P|O),
        F(7, "nfs", M("core.NFSVolumeSource"), P|O),
        F(8, "iscsi", M("core.ISCSIVolumeSource"), P|O),
        F(9, "glusterfs", M("core.GlusterfsVolumeSource"), P|O),
        F(10, "persistentVolumeClaim", M("core.PersistentVolumeClaimVolumeSource"), P|O),
        F(11, "rbd", M("core.RBDVolumeSource"), P|O),
        F(12, "flexVolume", M("core.FlexVolumeSource"), P|O),
        F(13, "cinder", M("core.CinderVolumeSource"), P|O),
        F(14, "cephfs", M("core.CephFSVolumeSource"), P|O),
        F(15, "flocker", M("core.FlockerVolumeSource"), P|O),
        F(16, "downwardAPI", M("core.DownwardAPIVolumeSource"), P|O),
        F(17, "fc", M("core.FCVolumeSource"), P|O),
        F(18, "azureFile", M("core.AzureFileVolumeSource"), P|O),
        F(19, "configMap", M("core.ConfigMapVolumeSource"), P|O),
        F(20, "vsphereVolume", M("core.VsphereVirtualDiskVolumeSource"), P|O),
        F(21, "quobyte", M("core.QuobyteVolumeSource"), P|O),
        F(22, "azureDisk", M("core.AzureDiskVolumeSource"), P|O),
        F(23, "photonPersistentDisk", M("core.PhotonPersistentDiskVolumeSource"), P|O),
        F(24, "portworxVolume", M("core.PortworxVolumeSource"), P|O),
        F(25, "scaleIO", M("core.ScaleIOVolumeSource"), P|O),
        F(26, "projected", M("core.ProjectedVolumeSource"), P|O),
        F(27, "storageos", M("core.StorageOSVolumeSource"), P|O),
        F(28, "csi", M("core.CSIVolumeSource"), P|O),
        F(29, "ephemeral", M("core.EphemeralVolumeSource"), P|O),
        F(30, "image", M("core.ImageVolumeSource"), P|O),
    ]),
    ("core.VolumeStatus", &[
        F(1, "image", M("core.ImageVolumeStatus"), P|O),
    ]),
    ("core.VsphereVirtualDiskVolumeSource", &[
        F(1, "volumePath", S, 0), F(2, "fsType", S, O), F(3, "storagePolicyName", S, O),
        F(4, "storagePolicyID", S, O),
    ]),
    ("core.WeightedPodAffinityTerm", &[
        F(1, "weight", I32, 0), F(2, "podAffinityTerm", M("core.PodAffinityTerm"), 0),
    ]),
    ("core.WindowsSecurityContextOptions", &[
        F(1, "gmsaCredentialSpecName", S, P|O), F(2, "gmsaCredentialSpec", S, P|O),
        F(3, "runAsUserName", S, P|O), F(4, "hostProcess", B, P|O),
    ]),
    ("disc.Endpoint", &[
        F(1, "addresses", S, R), F(2, "conditions", M("disc.EndpointConditions"), O),
        F(3, "hostname", S, P|O), F(4, "targetRef", M("core.ObjectReference"), P|O),
        F(5, "deprecatedTopology", MS, O), F(6, "nodeName", S, P|O), F(7, "zone", S, P|O),
        F(8, "hints", M("disc.EndpointHints"), P|O),
    ]),
    ("disc.EndpointConditions", &[
        F(1, "ready", B, P|O), F(2, "serving", B, P|O), F(3, "terminating", B, P|O),
    ]),
    ("disc.EndpointHints", &[
        F(1, "forZones", M("disc.ForZone"), R|O), F(2, "forNodes", M("disc.ForNode"), R|O),
    ]),
    ("disc.EndpointPort", &[
        F(1, "name", S, P|O), F(2, "protocol", S, P|O), F(3, "port", I32, P|O),
        F(4, "appProtocol", S, P|O),
    ]),
    ("disc.EndpointSlice", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "endpoints", M("disc.Endpoint"), R),
        F(3, "ports", M("disc.EndpointPort"), R), F(4, "addressType", S, 0),
    ]),
    ("disc.ForNode", &[
        F(1, "name", S, 0),
    ]),
    ("disc.ForZone", &[
        F(1, "name", S, 0),
    ]),
    ("events.Event", &[
        F(1, "metadata", M("meta.ObjectMeta"), 0), F(2, "eventTime", M("meta.MicroTime"), 0),
        F(3, "series", M("events.EventSeries"), P|O), F(4, "reportingController", S, O),
        F(5, "reportingInstance", S, O), F(6, "action", S, O), F(7, "reason", S, O),
        F(8, "regarding", M("core.ObjectReference"), O),
        F(9, "related", M("core.ObjectReference"), P|O), F(10, "note", S, O), F(11, "type", S, O),
        F(12, "deprecatedSource", M("core.EventSource"), O),
        F(13, "deprecatedFirstTimestamp", M("meta.Time"), O),
        F(14, "deprecatedLastTimestamp", M("meta.Time"), O), F(15, "deprecatedCount", I32, O),
    ]),
    ("events.EventSeries", &[
        F(1, "count", I32, 0), F(2, "lastObservedTime", M("meta.MicroTime"), 0),
    ]),
    ("meta.Condition", &[
        F(1, "type", S, 0), F(2, "status", S, 0), F(3, "observedGeneration", I64, O),
        F(4, "lastTransitionTime", M("meta.Time"), 0), F(5, "reason", S, 0), F(6, "message", S, 0),
    ]),
    ("meta.DeleteOptions", &[
        F(1, "gracePeriodSeconds", I64, P|O), F(2, "preconditions", M("meta.Preconditions"), P|O),
        F(3, "orphanDependents", B, P|O), F(4, "propagationPolicy", S, P|O),
        F(5, "dryRun", S, R|O), F(6, "ignoreStoreReadErrorWithClusterBreakingPotential", B, P|O),
    ]),
    ("meta.LabelSelector", &[
        F(1, "matchLabels", MS, O),
        F(2, "matchExpressions", M("meta.LabelSelectorRequirement"), R|O),
    ]),
    ("meta.LabelSelectorRequirement", &[
        F(1, "key", S, 0), F(2, "operator", S, 0), F(3, "values", S, R|O),
    ]),
    ("meta.ManagedFieldsEntry", &[
        F(1, "manager", S, O), F(2, "operation", S, O), F(3, "apiVersion", S, O),
        F(4, "time", M("meta.Time"), P|O), F(6, "fieldsType", S, O),
        F(7, "fieldsV1", M("meta.FieldsV1"), P|O), F(8, "subresource", S, O),
    ]),
    ("meta.ObjectMeta", &[
        F(1, "name", S, O), F(2, "generateName", S, O), F(3, "namespace", S, O),
        F(4, "selfLink", S, O), F(5, "uid", S, O), F(6, "resourceVersion", S, O),
        F(7, "generation", I64, O), F(8, "creationTimestamp", M("meta.Time"), O),
        F(9, "deletionTimestamp", M("meta.Time"), P|O),
        F(10, "deletionGracePeriodSeconds", I64, P|O), F(11, "labels", MS, O),
        F(12, "annotations", MS, O), F(13, "ownerReferences", M("meta.OwnerReference"), R|O),
        F(14, "finalizers", S, R|O), F(17, "managedFields", M("meta.ManagedFieldsEntry"), R|O),
    ]),
    ("meta.OwnerReference", &[
        F(1, "kind", S, 0), F(3, "name", S, 0), F(4, "uid", S, 0), F(5, "apiVersion", S, 0),
        F(6, "controller", B, P|O), F(7, "blockOwnerDeletion", B, P|O),
    ]),
    ("meta.Preconditions", &[
        F(1, "uid", S, P|O), F(2, "resourceVersion", S, P|O),
    ]),
    ("net.HTTPIngressPath", &[
        F(1, "path", S, O), F(2, "backend", M("net.IngressBackend"), 0), F(3, "pathType", S, P),
    ]),
    ("net.HTTPIngressRuleValue", &[
        F(1, "paths", M("net.HTTPIngressPath"), R),
    ]),
    ("net.IPBlock", &[
        F(1, "cidr", S, 0), F(2, "except", S, R|O),
    ]),
    ("net.Ingress", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("net.IngressSpec"), O),
        F(3, "status", M("net.IngressStatus"), O),
    ]),
    ("net.IngressBackend", &[
        F(3, "resource", M("core.TypedLocalObjectReference"), P|O),
        F(4, "service", M("net.IngressServiceBackend"), P|O),
    ]),
    ("net.IngressClass", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("net.IngressClassSpec"), O),
    ]),
    ("net.IngressClassParametersReference", &[
        F(1, "apiGroup", S, P|O), F(2, "kind", S, 0), F(3, "name", S, 0), F(4, "scope", S, P),
        F(5, "namespace", S, P|O),
    ]),
    ("net.IngressClassSpec", &[
        F(1, "controller", S, O),
        F(2, "parameters", M("net.IngressClassParametersReference"), P|O),
    ]),
    ("net.IngressLoadBalancerIngress", &[
        F(1, "ip", S, O), F(2, "hostname", S, O), F(4, "ports", M("net.IngressPortStatus"), R|O),
    ]),
    ("net.IngressLoadBalancerStatus", &[
        F(1, "ingress", M("net.IngressLoadBalancerIngress"), R|O),
    ]),
    ("net.IngressPortStatus", &[
        F(1, "port", I32, 0), F(2, "protocol", S, 0), F(3, "error", S, P|O),
    ]),
    ("net.IngressRule", &[
        F(1, "host", S, O), F(2, "", M("net.IngressRuleValue"), I),
    ]),
    ("net.IngressRuleValue", &[
        F(1, "http", M("net.HTTPIngressRuleValue"), P|O),
    ]),
    ("net.IngressServiceBackend", &[
        F(1, "name", S, 0), F(2, "port", M("net.ServiceBackendPort"), O),
    ]),
    ("net.IngressSpec", &[
        F(1, "defaultBackend", M("net.IngressBackend"), P|O),
        F(2, "tls", M("net.IngressTLS"), R|O), F(3, "rules", M("net.IngressRule"), R|O),
        F(4, "ingressClassName", S, P|O),
    ]),
    ("net.IngressStatus", &[
        F(1, "loadBalancer", M("net.IngressLoadBalancerStatus"), O),
    ]),
    ("net.IngressTLS", &[
        F(1, "hosts", S, R|O), F(2, "secretName", S, O),
    ]),
    ("net.NetworkPolicy", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "spec", M("net.NetworkPolicySpec"), O),
    ]),
    ("net.NetworkPolicyEgressRule", &[
        F(1, "ports", M("net.NetworkPolicyPort"), R|O),
        F(2, "to", M("net.NetworkPolicyPeer"), R|O),
    ]),
    ("net.NetworkPolicyIngressRule", &[
        F(1, "ports", M("net.NetworkPolicyPort"), R|O),
        F(2, "from", M("net.NetworkPolicyPeer"), R|O),
    ]),
    ("net.NetworkPolicyPeer", &[
        F(1, "podSelector", M("meta.LabelSelector"), P|O),
        F(2, "namespaceSelector", M("meta.LabelSelector"), P|O),
        F(3, "ipBlock", M("net.IPBlock"), P|O),
    ]),
    ("net.NetworkPolicyPort", &[
        F(1, "protocol", S, P|O), F(2, "port", M("intstr.IntOrString"), P|O),
        F(3, "endPort", I32, P|O),
    ]),
    ("net.NetworkPolicySpec", &[
        F(1, "podSelector", M("meta.LabelSelector"), 0),
        F(2, "ingress", M("net.NetworkPolicyIngressRule"), R|O),
        F(3, "egress", M("net.NetworkPolicyEgressRule"), R|O), F(4, "policyTypes", S, R|O),
    ]),
    ("net.ServiceBackendPort", &[
        F(1, "name", S, O), F(2, "number", I32, O),
    ]),
    ("policy.Eviction", &[
        F(1, "metadata", M("meta.ObjectMeta"), O),
        F(2, "deleteOptions", M("meta.DeleteOptions"), P|O),
    ]),
    ("policy.PodDisruptionBudget", &[
        F(1, "metadata", M("meta.ObjectMeta"), O),
        F(2, "spec", M("policy.PodDisruptionBudgetSpec"), O),
        F(3, "status", M("policy.PodDisruptionBudgetStatus"), O),
    ]),
    ("policy.PodDisruptionBudgetSpec", &[
        F(1, "minAvailable", M("intstr.IntOrString"), P|O),
        F(2, "selector", M("meta.LabelSelector"), P|O),
        F(3, "maxUnavailable", M("intstr.IntOrString"), P|O),
        F(4, "unhealthyPodEvictionPolicy", S, P|O),
    ]),
    ("policy.PodDisruptionBudgetStatus", &[
        F(1, "observedGeneration", I64, O), F(2, "disruptedPods", MM("meta.Time"), O),
        F(3, "disruptionsAllowed", I32, 0), F(4, "currentHealthy", I32, 0),
        F(5, "desiredHealthy", I32, 0), F(6, "expectedPods", I32, 0),
        F(7, "conditions", M("meta.Condition"), R|O),
    ]),
    ("sa3.TopologyConstraint", &[
        F(1, "key", S, 0),
    ]),
    ("sa3.WorkloadPodGroupAllDisruptionMode", &[
    ]),
    ("sa3.WorkloadPodGroupBasicSchedulingPolicy", &[
    ]),
    ("sa3.WorkloadPodGroupDisruptionMode", &[
        F(1, "single", M("sa3.WorkloadPodGroupSingleDisruptionMode"), P|O),
        F(2, "all", M("sa3.WorkloadPodGroupAllDisruptionMode"), P|O),
    ]),
    ("sa3.WorkloadPodGroupGangSchedulingPolicy", &[
        F(1, "minCount", I32, P|O),
    ]),
    ("sa3.WorkloadPodGroupResourceClaim", &[
        F(1, "name", S, 0), F(2, "resourceClaimName", S, P|O),
        F(3, "resourceClaimTemplateName", S, P|O),
    ]),
    ("sa3.WorkloadPodGroupSchedulingConstraints", &[
        F(1, "topology", M("sa3.TopologyConstraint"), R|O),
    ]),
    ("sa3.WorkloadPodGroupSchedulingPolicy", &[
        F(1, "basic", M("sa3.WorkloadPodGroupBasicSchedulingPolicy"), P|O),
        F(2, "gang", M("sa3.WorkloadPodGroupGangSchedulingPolicy"), P|O),
    ]),
    ("sa3.WorkloadPodGroupSingleDisruptionMode", &[
    ]),
    ("sched.PriorityClass", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "value", I32, 0),
        F(3, "globalDefault", B, O), F(4, "description", S, O), F(5, "preemptionPolicy", S, P|O),
    ]),
    ("storage.StorageClass", &[
        F(1, "metadata", M("meta.ObjectMeta"), O), F(2, "provisioner", S, 0), F(3, "parameters", MS, O),
        F(4, "reclaimPolicy", S, P|O), F(5, "mountOptions", S, R|O), F(6, "allowVolumeExpansion", B, P|O),
        F(7, "volumeBindingMode", S, P|O), F(8, "allowedTopologies", M("core.TopologySelectorTerm"), R|O),
    ]),
];
