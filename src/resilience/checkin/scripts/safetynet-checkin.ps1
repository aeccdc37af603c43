# Safety Net device check-in for Windows (Windows PowerShell 5.1 or PowerShell 7).
#
# Reports this computer's name, serial number, make and model, Windows edition
# with its version and build, when updates were last installed, and whether
# BitLocker protects the system drive, to the asset register of
# __PRACTICE__ in Safety Net. Nothing else is read or sent.
#
# Keep this file private: the token below lets whoever has it add devices to
# the practice's register. A practice manager can make a new token in
# Safety Net (Resilience > Device check-in), which stops this copy working.
#
# Run it once to check it works (as an administrator, so it can read BitLocker):
#   powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\safetynet-checkin.ps1
# See what it would send, without sending anything: add -DryRun
# Then run it every day, for example:
#   schtasks /Create /TN "Safety Net check-in" /SC DAILY /ST 09:30 /RU SYSTEM /TR "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\ProgramData\SafetyNet\safetynet-checkin.ps1"

param([switch]$DryRun)

$SafetyNetUrl = '__URL__'
$SafetyNetToken = '__TOKEN__'
$ErrorActionPreference = 'Stop'

$os = Get-CimInstance -ClassName Win32_OperatingSystem
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$bios = Get-CimInstance -ClassName Win32_BIOS
$cv = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'

# "Microsoft Windows 11 Pro" becomes "Windows 11 Pro"; the feature update (23H2) is its version.
$edition = ($os.Caption -replace '^Microsoft\s+', '').Trim()
$version = $cv.DisplayVersion
if (-not $version) { $version = $cv.ReleaseId }
$build = [string]$cv.CurrentBuildNumber
if ($null -ne $cv.UBR) { $build = "$build.$($cv.UBR)" }

# The newest update installed successfully, from Windows Update's history;
# otherwise the newest hotfix.
$lastUpdate = $null
try {
    $searcher = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher()
    $count = $searcher.GetTotalHistoryCount()
    if ($count -gt 0) {
        $lastUpdate = $searcher.QueryHistory(0, [Math]::Min($count, 100)) |
            Where-Object { $_.Operation -eq 1 -and $_.ResultCode -eq 2 } |
            Sort-Object -Property Date -Descending |
            Select-Object -First 1 -ExpandProperty Date
    }
} catch { $lastUpdate = $null }
if (-not $lastUpdate) {
    try {
        $lastUpdate = Get-HotFix | Where-Object { $_.InstalledOn } |
            Sort-Object -Property InstalledOn -Descending |
            Select-Object -First 1 -ExpandProperty InstalledOn
    } catch { $lastUpdate = $null }
}
$lastUpdateText = $null
if ($lastUpdate) { $lastUpdateText = ([DateTime]$lastUpdate).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }

# BitLocker on the system drive (needs an administrator; otherwise "unknown").
$encryption = 'unknown'
try {
    $volume = Get-BitLockerVolume -MountPoint $env:SystemDrive -ErrorAction Stop
    if ([string]$volume.ProtectionStatus -eq 'On') { $encryption = 'yes' } else { $encryption = 'no' }
} catch {
    try {
        $ev = Get-CimInstance -Namespace 'root\CIMV2\Security\MicrosoftVolumeEncryption' -ClassName Win32_EncryptableVolume -Filter "DriveLetter='$($env:SystemDrive)'" -ErrorAction Stop
        if ($ev) {
            if ($ev.ProtectionStatus -eq 1) { $encryption = 'yes' } else { $encryption = 'no' }
        }
    } catch { $encryption = 'unknown' }
}

$kind = 'desktop'
if ($os.ProductType -ne 1) { $kind = 'server' }
elseif ($cs.PCSystemType -eq 2) { $kind = 'laptop' }

$body = [ordered]@{
    hostname    = $env:COMPUTERNAME
    serial      = [string]$bios.SerialNumber
    make        = [string]$cs.Manufacturer
    model       = [string]$cs.Model
    os          = $edition
    os_version  = [string]$version
    build       = $build
    kind        = $kind
    encryption  = $encryption
    last_update = $lastUpdateText
    script      = 'powershell'
} | ConvertTo-Json -Compress

if ($DryRun) {
    Write-Output $body
    exit 0
}

# Windows PowerShell 5.1 may default to old TLS versions.
try { [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12 } catch { }

try {
    $reply = Invoke-RestMethod -Method Post -Uri "$SafetyNetUrl/api/checkin" `
        -Headers @{ Authorization = "Bearer $SafetyNetToken" } `
        -ContentType 'application/json' -Body ([Text.Encoding]::UTF8.GetBytes($body)) -TimeoutSec 30
    Write-Output $reply.message
    exit 0
} catch {
    $reason = $null
    if ($_.ErrorDetails -and $_.ErrorDetails.Message) {
        try { $reason = ($_.ErrorDetails.Message | ConvertFrom-Json).message } catch { $reason = $_.ErrorDetails.Message }
    }
    if (-not $reason) { $reason = $_.Exception.Message }
    Write-Error "Safety Net did not accept the check-in: $reason" -ErrorAction Continue
    exit 1
}
