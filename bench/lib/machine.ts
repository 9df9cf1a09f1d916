// The machine a run measured on, recorded with every result: figures mean little without it.
import os from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGB: number;
  node: string;
  os: string;
  /** 1-minute load average when the run (or suite) started: a busy machine gives lower figures. */
  loadAverage1m: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown').replace(/\s+/g, ' ').trim(),
    memoryGB: Math.round((os.totalmem() / 1e9) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cores} cores, ${m.cpuModel}, ${m.memoryGB} GB RAM, Node ${m.node}, ${m.os}`;
}
