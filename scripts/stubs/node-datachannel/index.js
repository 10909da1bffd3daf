// planktos never runs WebRTC in Node; importing this means something tried to.
throw new Error('node-datachannel is replaced by a stand-in in planktos\' dev install (its native binary cannot be downloaded); WebRTC is only used in browsers.')
