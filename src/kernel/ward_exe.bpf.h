/*
 * ward_exe.bpf.h — an executable's identity as user space sees it: the
 * device and inode stat(2) reports for a struct file, for the BPF programs
 * that name a task's program (the cgroup hooks, the process monitor).
 */
#ifndef WARD_EXE_BPF_H
#define WARD_EXE_BPF_H

/* f's inode, with its device in glibc's makedev() encoding (st_dev's). */
static __always_inline bool ward_file_id(struct file *f, __u64 *dev, __u64 *ino)
{
    struct inode *in = f ? BPF_CORE_READ(f, f_inode) : NULL;
    if (!in)
        return false;
    *ino = BPF_CORE_READ(in, i_ino);
    __u32 kdev = BPF_CORE_READ(in, i_sb, s_dev);
    __u64 major = kdev >> 20, minor = kdev & 0xfffff;
    *dev = ((major & 0xfff) << 8) | ((major & ~0xfffULL) << 32) | (minor & 0xff) |
           ((minor & ~0xffULL) << 12);
    return true;
}

#endif
