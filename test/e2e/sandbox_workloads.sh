#!/usr/bin/env bash
# The kubelet simulator with kube-controller-manager: Deployments get ReplicaSets and pods that
# turn Running and Ready with distinct IPs; deletions complete; faults and full nodes behave
# as on a real cluster; deleting a Deployment garbage-collects its pods.
. "$(dirname "$0")/lib.sh"
new_namespace

step "the simulated nodes are Ready"
wait_until 60 "Ready nodes" bash -c "kubectl get nodes --no-headers 2>/dev/null | quiet_grep ' Ready '"

step "a Deployment gives a ReplicaSet and Running, Ready pods with distinct IPs"
k create deployment web -n "$NS" --image=nginx --replicas=3 >/dev/null
wait_until 60 "a ReplicaSet" bash -c "[ \"\$(kubectl get rs -n $NS -l app=web --no-headers 2>/dev/null | wc -l)\" = 1 ]"
wait_until 60 "3 ready replicas" bash -c "[ \"\$(kubectl get deploy web -n $NS -o jsonpath='{.status.readyReplicas}' 2>/dev/null)\" = 3 ]"
ips=$(k get pods -n "$NS" -l app=web -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}')
assert_eq "$(echo "$ips" | grep -c .)" 3 "pods with an IP"
assert_eq "$(echo "$ips" | sort -u | grep -c .)" 3 "distinct pod IPs"
for p in $(k get pods -n "$NS" -l app=web -o name); do
  assert_eq "$(k get -n "$NS" "$p" -o 'jsonpath={.status.phase}')" Running "$p phase"
  assert_eq "$(k get -n "$NS" "$p" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" True "$p Ready"
done

step "deleting a pod completes (no pod hangs in Terminating)"
victim=$(k get pods -n "$NS" -l app=web -o name | sed -n 1p)
k delete -n "$NS" "$victim" --wait=true --timeout=60s >/dev/null
k get -n "$NS" "$victim" >/dev/null 2>&1 && fail "$victim still exists"
wait_until 60 "the replacement pod Ready" bash -c "[ \"\$(kubectl get deploy web -n $NS -o jsonpath='{.status.readyReplicas}' 2>/dev/null)\" = 3 ]"

step "the fail annotation makes a restartPolicy Never pod Failed"
k run crash -n "$NS" --image=busybox --restart=Never >/dev/null
wait_until 60 "pod crash Running" bash -c "[ \"\$(kubectl get pod crash -n $NS -o jsonpath='{.status.phase}' 2>/dev/null)\" = Running ]"
k annotate pod crash -n "$NS" sandbox.ray-operator.dev/fail=3 >/dev/null
wait_until 30 "pod crash Failed" bash -c "[ \"\$(kubectl get pod crash -n $NS -o jsonpath='{.status.phase}' 2>/dev/null)\" = Failed ]"
assert_eq "$(get pod crash '{.status.containerStatuses[0].state.terminated.exitCode}')" 3 "exit code"

step "a pod too big for every node stays Pending and Unschedulable"
k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  containers:
  - name: c
    image: busybox
    resources: {requests: {cpu: "1000"}}
YAML
wait_until 30 "PodScheduled=False" bash -c "[ \"\$(kubectl get pod huge -n $NS -o jsonpath='{.status.conditions[?(@.type==\"PodScheduled\")].reason}' 2>/dev/null)\" = Unschedulable ]"
holds 3 "huge pending" bash -c "[ \"\$(kubectl get pod huge -n $NS -o jsonpath='{.status.phase}' 2>/dev/null)\" = Pending ]"
assert_eq "$(get pod huge '{.spec.nodeName}')" "" "nodeName of the unschedulable pod"

step "deleting a Deployment garbage-collects its ReplicaSet and pods"
k delete deployment web -n "$NS" >/dev/null
wait_until 60 "the web pods gone" bash -c "[ -z \"\$(kubectl get pods -n $NS -l app=web -o name 2>/dev/null)\" ]"
wait_until 30 "the ReplicaSet gone" bash -c "[ -z \"\$(kubectl get rs -n $NS -l app=web -o name 2>/dev/null)\" ]"
