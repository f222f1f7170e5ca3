#!/usr/bin/env bash
# What KubeRay does and users rely on: the head Service takes the name the spec gives it (and
# a rename moves it, without touching a pod), accelerator limits and the groups' Ray resources
# and labels reach `ray start`, and the head pod carries KubeRay's ray.io/ft-enabled annotation.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
examples="$(dirname "$0")/../../examples"
ray_args() { k get pods -n "$NS" -l "ray.io/cluster=$1,ray.io/group=$2" -o 'jsonpath={.items[0].spec.containers[0].args[0]}'; }
env_of() { k get pods -n "$NS" -l "ray.io/cluster=$1,ray.io/group=$2" -o json |
  jq -r --arg n "$3" '.items[0].spec.containers[0].env[] | select(.name == $n) | .value'; }

step "a head Service named by headGroupSpec.headService.metadata.name"
k apply -n "$NS" -f "$examples/raycluster-custom-head-service.yaml" >/dev/null
ready_cluster named-head
assert_eq "$(get service ray-head '{.metadata.annotations.service\.example\.com/team}')" ml "the user's annotation"
assert_eq "$(get service ray-head '{.spec.selector.ray\.io/node-type}')" head "the Service's selector"
k get service named-head-head-svc -n "$NS" >/dev/null 2>&1 && fail "the default-named Service exists too"
assert_eq "$(get raycluster named-head '{.status.head.serviceName}')" ray-head "status.head.serviceName"
assert_eq "$(env_of named-head workers RAY_IP)" ray-head "the workers' RAY_IP"
ray_args named-head workers | quiet_grep -- "--address=ray-head.$NS.svc.cluster.local:6379" ||
  fail "the workers' --address does not name ray-head: $(ray_args named-head workers)"
assert_eq "$(get pod named-head-head-0 '{.metadata.annotations.ray\.io/ft-enabled}')" false "the head's ray.io/ft-enabled"

step "renaming it moves the Service; no pod is replaced"
pods_before=$(k get pods -n "$NS" -l ray.io/cluster=named-head -o 'jsonpath={.items[*].metadata.uid}')
k patch raycluster named-head -n "$NS" --type merge -p '{"spec":{"headGroupSpec":{"headService":{"metadata":{"name":"ray-head-2"}}}}}' >/dev/null
wait_until 30 "Service ray-head-2" k get service ray-head-2 -n "$NS"
service_gone() { ! k get service ray-head -n "$NS" >/dev/null 2>&1; }
wait_until 30 "the old Service removed" service_gone
status_names() { [ "$(get raycluster named-head '{.status.head.serviceName}')" = "$1" ]; }
wait_until 30 "status naming ray-head-2" status_names ray-head-2
assert_eq "$(k get pods -n "$NS" -l ray.io/cluster=named-head -o 'jsonpath={.items[*].metadata.uid}')" "$pods_before" "the pods' uids"

step "accelerators and the groups' Ray resources and labels reach ray start"
k apply -n "$NS" -f "$examples/raycluster-accelerators.yaml" >/dev/null
group_has_pod() { [ -n "$(k get pods -n "$NS" -l "ray.io/cluster=accelerators,ray.io/group=$1" -o name)" ]; }
for g in tpu mig labelled; do wait_until 30 "a $g worker" group_has_pod "$g"; done
ray_args accelerators tpu | quiet_grep -F -- "--resources='{\"TPU\":4}'" || fail "TPU worker: $(ray_args accelerators tpu)"
ray_args accelerators mig | quiet_grep -F -- "--num-gpus=2" || fail "MIG worker: $(ray_args accelerators mig)"
args=$(ray_args accelerators labelled)
for want in "--num-cpus=2" "--resources='{\"accel\":1}'" "--labels=ray.io/market-type=spot"; do
  echo "$args" | quiet_grep -F -- "$want" || fail "labelled worker lacks $want: $args"
done
assert_eq "$(k get pods -n "$NS" -l ray.io/cluster=accelerators,ray.io/group=labelled -o 'jsonpath={.items[0].metadata.labels.ray\.io/market-type}')" \
  spot "the Ray label on the pod"
