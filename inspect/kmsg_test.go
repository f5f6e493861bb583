package inspect

import "testing"

func TestParseOOMKill(t *testing.T) {
	for _, tc := range []struct {
		name, rec string
		ok        bool
		memcg     string
		task      string
	}{
		{"v1 nsinspect", "6,7919,1401009207,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=b5af,mems_allowed=0,oom_memcg=/nsinspect/b5af,task_memcg=/nsinspect/b5af,task=tail,pid=31019,uid=0\n", true, "/nsinspect/b5af", "/nsinspect/b5af"},
		{"v2 kubernetes", "6,12,5,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/kubepods.slice/kubepods-pod1.slice,task_memcg=/kubepods.slice/kubepods-pod1.slice/cri-containerd-f11e.scope,task=java,pid=9,uid=1000\n", true, "/kubepods.slice/kubepods-pod1.slice", "/kubepods.slice/kubepods-pod1.slice/cri-containerd-f11e.scope"},
		{"a task named to confuse", "6,13,5,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=x,mems_allowed=0,oom_memcg=/docker/a,task_memcg=/docker/a,task=x,oom_memcg=/docker/b,pid=9,uid=0\n", true, "/docker/a", "/docker/a"},
		{"written from userspace", "12,14,5,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/docker/forged,task_memcg=/docker/forged,task=x,pid=1,uid=0\n", false, "", ""},
		{"global OOM", "6,15,5,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=x,pid=1,uid=0\n", false, "", ""},
		{"another line", "6,16,5,-;Memory cgroup out of memory: Killed process 31019 (tail)\n", false, "", ""},
		{"no header", "oom-kill:oom_memcg=/a", false, "", ""},
		{"bad priority", "x,1,1,-;oom-kill:,oom_memcg=/a,task_memcg=/a,task=t", false, "", ""},
		{"relative path", "6,1,1,-;oom-kill:constraint=X,oom_memcg=a,task_memcg=a,task=t", false, "", ""},
	} {
		k, ok := parseOOMKill([]byte(tc.rec))
		if ok != tc.ok || k.Memcg != tc.memcg || k.TaskMemcg != tc.task {
			t.Errorf("%s: %+v %v; want memcg %q task %q %v", tc.name, k, ok, tc.memcg, tc.task, tc.ok)
		}
	}
}

func FuzzParseOOMKill(f *testing.F) {
	f.Add([]byte("6,7919,1401009207,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=b5af,mems_allowed=0,oom_memcg=/nsinspect/b5af,task_memcg=/nsinspect/b5af,task=tail,pid=31019,uid=0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, ok := parseOOMKill(b); ok && (k.Memcg == "" || k.Memcg[0] != '/') {
			t.Fatalf("accepted %+v", k)
		}
	})
}
