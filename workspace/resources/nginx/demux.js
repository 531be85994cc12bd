// Port 8080 speaks HTTP and SSH. SSH clients announce themselves with "SSH-" as soon as they connect; anything
// else (HTTP, TLS) is the web. A client that stays silent is taken for an SSH client waiting for the server's
// banner (sslh does the same).
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
        if (received.length >= 4 || flags.last) {
            decide(received.startsWith('SSH-') ? 'ssh' : 'http');
        }
    });
}

export default { preread };
