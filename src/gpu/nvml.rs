//! The NVML adapter: one `Nvml` kept for the process, sampled on demand. Load and init
//! failures become an [`Unavailable`] reason in words.

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::error::NvmlError;

use super::{GpuInfo, GpuProcess, GpuSample, GpuSource, Unavailable};

/// Maps an NVML error to the reason shown to the operator.
pub fn reason(error: &NvmlError) -> Unavailable {
    match error {
        NvmlError::LibloadingError(e) => Unavailable::LibraryNotFound(e.to_string()),
        NvmlError::LibraryNotFound => Unavailable::LibraryNotFound("library not found".into()),
        NvmlError::DriverNotLoaded => Unavailable::DriverNotLoaded,
        NvmlError::NoPermission => Unavailable::NoPermission,
        other => Unavailable::Other(other.to_string()),
    }
}

/// NVML, initialised once.
pub struct NvmlSource {
    nvml: Nvml,
}

impl NvmlSource {
    pub fn open() -> Result<Self, Unavailable> {
        let nvml = Nvml::init().map_err(|e| reason(&e))?;
        Ok(Self { nvml })
    }
}

impl GpuSource for NvmlSource {
    fn sample(&mut self) -> Result<GpuSample, Unavailable> {
        let count = self.nvml.device_count().map_err(|e| reason(&e))?;
        if count == 0 {
            return Err(Unavailable::NoDevices);
        }
        let mut gpus = Vec::new();
        let mut processes = Vec::new();
        for index in 0..count {
            let device = self.nvml.device_by_index(index).map_err(|e| reason(&e))?;
            let memory = device.memory_info().map_err(|e| reason(&e))?;
            gpus.push(GpuInfo {
                index,
                name: device.name().unwrap_or_else(|_| format!("GPU {index}")),
                uuid: device.uuid().ok(),
                memory_used_bytes: memory.used,
                memory_total_bytes: memory.total,
                utilization_pct: device.utilization_rates().ok().map(|u| u.gpu),
                temperature_c: device.temperature(TemperatureSensor::Gpu).ok(),
                power_mw: device.power_usage().ok(),
            });
            let compute = device.running_compute_processes().unwrap_or_default();
            let graphics = device.running_graphics_processes().unwrap_or_default();
            for p in compute.into_iter().chain(graphics) {
                if processes
                    .iter()
                    .any(|q: &GpuProcess| q.pid == p.pid && q.gpu_index == index)
                {
                    continue;
                }
                processes.push(GpuProcess {
                    gpu_index: index,
                    pid: p.pid,
                    memory_used_bytes: match p.used_gpu_memory {
                        UsedGpuMemory::Used(bytes) => Some(bytes),
                        UsedGpuMemory::Unavailable => None,
                    },
                });
            }
        }
        Ok(GpuSample { gpus, processes })
    }
}
