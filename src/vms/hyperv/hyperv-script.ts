/**
 * The one PowerShell script Bootc Studio runs for Hyper-V, as fixed text: the extension writes it
 * to a file and runs it with `powershell.exe -File <script> -Action <verb> -Name <base64> …`
 * (hyperv-commands.ts). Every user value — a VM name, a path, a switch — reaches it as a separate
 * argv entry holding the value's UTF-8 bytes in base64, decoded here into a variable: a value is
 * never part of PowerShell source, so `x'; Remove-Item C:\ -Recurse #` is only ever a name.
 *
 * Why not `-Command`: powershell.exe joins everything after `-Command` into one script text, so an
 * argument there is code. Why base64 even with `-File`: powershell.exe 5.1 binds an argument that
 * starts with `-` as a parameter name and mangles embedded quotes; base64 ([A-Za-z0-9+/=]) has
 * neither. Numbers (memory, CPUs, generation) are checked in TypeScript and typed `[int]`/`[long]`
 * here.
 *
 * VMs are found by exact name (`Where-Object Name -eq`), never through `-Name`, which treats `*`,
 * `?` and `[` as wildcards. Known failures exit with their own codes and a first stderr line
 * `bootc-studio-error: <kind>` (hyperv-parse.ts reads them): 3 the Hyper-V module is missing,
 * 5 no VM of that name, 6 more than one, 7 a new VM's name taken (Hyper-V itself would allow
 * two); 1 anything else, with PowerShell's category and error id.
 * The text is ASCII only: Windows PowerShell reads a script file without a BOM in the ANSI code page.
 */

/** The file name the script is written under (in the extension's storage folder). */
export const HYPERV_SCRIPT_NAME = 'bootc-studio-hyperv.ps1';

/** The actions the script takes. */
export const HYPERV_ACTIONS = ['new', 'processor', 'comport', 'start', 'stop', 'remove', 'get', 'convert'] as const;
export type HypervAction = (typeof HYPERV_ACTIONS)[number];

export const HYPERV_EXIT = { failed: 1, moduleMissing: 3, notFound: 5, ambiguous: 6, exists: 7 } as const;

export const HYPERV_SCRIPT = `# Bootc Studio: Hyper-V actions. Written by the extension; do not edit.
# Every value arrives base64-encoded (UTF-8) and is decoded into a variable, never run as code.
param(
  [Parameter(Mandatory = $true)]
  [ValidateSet(${HYPERV_ACTIONS.map(action => `'${action}'`).join(', ')})]
  [string]$Action,
  [string]$Name = '',
  [string]$VhdPath = '',
  [string]$Destination = '',
  [string]$SwitchName = '',
  [string]$VmFolder = '',
  [string]$PipeName = '',
  [ValidateSet(1, 2)][int]$Generation = 1,
  [ValidateRange(0, 1099511627776)][long]$MemoryMiB = 0,
  [ValidateRange(0, 1024)][int]$Count = 0,
  [ValidateSet('shutdown', 'turnoff')][string]$Mode = 'shutdown'
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false

function Decode([string]$Value) {
  if ($Value -eq '') { return '' }
  return [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($Value))
}

function Fail([int]$Code, [string]$Kind, [string]$Message) {
  [Console]::Error.WriteLine('bootc-studio-error: ' + $Kind)
  [Console]::Error.WriteLine($Message)
  exit $Code
}

function Find-OneVM([string]$VmName) {
  $found = @(Get-VM | Where-Object { $_.Name -eq $VmName })
  if ($found.Count -eq 0) { Fail ${HYPERV_EXIT.notFound} 'not-found' ('No Hyper-V virtual machine is named ' + $VmName) }
  if ($found.Count -gt 1) { Fail ${HYPERV_EXIT.ambiguous} 'ambiguous' ('More than one Hyper-V virtual machine is named ' + $VmName) }
  return $found[0]
}

function Describe-VM($Vm) {
  $addresses = @($Vm.NetworkAdapters | ForEach-Object { $_.IPAddresses } | Where-Object { $_ })
  return [pscustomobject]@{
    Name = $Vm.Name
    Id = $Vm.Id.ToString()
    State = $Vm.State.ToString()
    Generation = $Vm.Generation
    ProcessorCount = $Vm.ProcessorCount
    MemoryStartup = $Vm.MemoryStartup
    UptimeSeconds = [long]$Vm.Uptime.TotalSeconds
    IPAddresses = [string[]]$addresses
  }
}

if (-not (Get-Command -Name 'Get-VM' -ErrorAction SilentlyContinue)) {
  Fail ${HYPERV_EXIT.moduleMissing} 'hyperv-missing' 'The term Get-VM is not recognized: the Hyper-V PowerShell module is not installed.'
}

try {
  $VmName = Decode $Name
  switch ($Action) {
    'new' {
      if (@(Get-VM | Where-Object { $_.Name -eq $VmName }).Count -gt 0) {
        Fail ${HYPERV_EXIT.exists} 'exists' ('A Hyper-V virtual machine is already named ' + $VmName)
      }
      $arguments = @{ Name = $VmName; Generation = $Generation; MemoryStartupBytes = $MemoryMiB * 1MB; VHDPath = (Decode $VhdPath) }
      $switchToUse = Decode $SwitchName
      if ($switchToUse -ne '') { $arguments['SwitchName'] = $switchToUse }
      $folder = Decode $VmFolder
      if ($folder -ne '') { $arguments['Path'] = $folder }
      $vm = New-VM @arguments
      Set-VMMemory -VM $vm -DynamicMemoryEnabled $false
      if ($Generation -eq 2) { Set-VMFirmware -VM $vm -EnableSecureBoot Off }
      ConvertTo-Json -InputObject @(Describe-VM $vm) -Depth 4 -Compress
    }
    'processor' { Set-VMProcessor -VM (Find-OneVM $VmName) -Count $Count }
    'comport' { Set-VMComPort -VM (Find-OneVM $VmName) -Number 1 -Path ('\\\\.\\pipe\\' + (Decode $PipeName)) }
    'start' { Start-VM -VM (Find-OneVM $VmName) }
    'stop' {
      $vm = Find-OneVM $VmName
      if ($vm.State.ToString() -ne 'Off') {
        if ($Mode -eq 'turnoff') { Stop-VM -VM $vm -TurnOff -Force } else { Stop-VM -VM $vm -Force }
      }
    }
    'remove' {
      $vm = Find-OneVM $VmName
      if ($vm.State.ToString() -ne 'Off') { Stop-VM -VM $vm -TurnOff -Force }
      Remove-VM -VM $vm -Force
    }
    'get' {
      if ($VmName -eq '') { $vms = @(Get-VM) } else { $vms = @(Get-VM | Where-Object { $_.Name -eq $VmName }) }
      ConvertTo-Json -InputObject @($vms | ForEach-Object { Describe-VM $_ }) -Depth 4 -Compress
    }
    'convert' { Convert-VHD -Path (Decode $VhdPath) -DestinationPath (Decode $Destination) -VHDType Dynamic }
  }
} catch {
  [Console]::Error.WriteLine('bootc-studio-error: ' + $_.CategoryInfo.Category + ' ' + $_.FullyQualifiedErrorId)
  [Console]::Error.WriteLine($_.Exception.Message)
  exit ${HYPERV_EXIT.failed}
}
`;
