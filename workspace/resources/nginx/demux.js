// Port 8080 speaks HTTP, HTTPS and SSH. SSH clients announce themselves with "SSH-" as soon as they connect; a TLS
// client's first byte is a handshake record (0x16); anything else is plain HTTP. A client that stays silent is taken
// for an SSH client waiting for the server's banner (sslh does the same).
var TLS_HANDSHAKE = 0x16;
var SILENT_CLIENT_MS = 3000;

function preread(s) {
    var decided = false;
    var received = '';

    function decide(protocol) {
        if (decided) {
            return;
        }
        decided = true;
        clearTimeout(timer);
        s.variables.first_protocol = protocol;
        s.done();
    }

    var timer = setTimeout(function () { decide('ssh'); }, SILENT_CLIENT_MS);

    s.on('upload', function (data, flags) {
        received += data;
        if (received.length > 0 && received.charCodeAt(0) === TLS_HANDSHAKE) {
            decide('tls');
        } else if (received.length >= 4 || flags.last) {
            decide(received.startsWith('SSH-') ? 'ssh' : 'http');
        }
    });
}

export default { preread };
